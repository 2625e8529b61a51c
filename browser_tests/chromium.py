"""Headless Chromium for the browser tests, set up the same way for every test.

Debian's chromium and chromium-driver (``CHROMIUM``, ``CHROMEDRIVER`` override the paths).  Every
host but 127.0.0.1 is unresolvable, so a page that needs the network fails its checks, and the
performance log records every request so a test can assert that none left 127.0.0.1.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def headless_chromium(window_size: str, page_load_timeout: float) -> webdriver.Chrome:
    """Start headless Chromium offline; the caller quits it.

    Parameters
    ----------
    window_size : str
        ``"WIDTH,HEIGHT"`` in pixels.
    page_load_timeout : float
        Seconds a page may take to load.

    Returns
    -------
    selenium.webdriver.Chrome
        With browser and performance logs enabled.
    """
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={window_size}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    return driver


def requested_hosts(driver: webdriver.Chrome) -> set[str]:
    """The hosts of every http(s) or websocket request since the performance log was last read.

    Returns
    -------
    set of str
        Host names; a test asserts it is a subset of ``{"127.0.0.1"}``.
    """
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urlparse(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.hostname)
    return hosts
