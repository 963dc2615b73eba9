"""The built-in web server: routes for hosted media, AceData callbacks, the Mini App."""
