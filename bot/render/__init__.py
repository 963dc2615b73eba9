"""Every text and keyboard a message shows, as pure functions of domain values."""
