"""The public portal: home page and zone overview."""
