"""Retail import (跨境电商零售进口, 1210 / 9610): intake of the four documents, three-document match, customs."""
