"""The optional `Draw mask` Mini App for Vary (Region), served by the built-in web server.

routes.py    GET the page, POST the painting (signed by Telegram, the picker's owner only)
initdata.py  Telegram's `initData` check (plain HMAC, as Telegram documents it)
page.py      the page: static/region.html, .css, .js inlined, with the reader's texts
"""

from bot.web.miniapp.initdata import INIT_DATA_MAX_AGE, InitDataError, check_init_data
from bot.web.miniapp.routes import WEBAPP_PATH, webapp_routes

__all__ = ["INIT_DATA_MAX_AGE", "WEBAPP_PATH", "InitDataError", "check_init_data", "webapp_routes"]
