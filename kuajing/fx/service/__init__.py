"""FX services: proceeds (收汇), advances (代垫), the bank view with consent, and the Excel upload of proceeds."""
