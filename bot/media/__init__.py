"""Users' pictures made public for AceData (uploaded, or served by the bot itself)."""
