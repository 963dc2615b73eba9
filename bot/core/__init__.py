"""Plain data and rules with no I/O: the domain, prompt parsing, callback-data codecs."""
