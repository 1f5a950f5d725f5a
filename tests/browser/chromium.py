"""How the browser tests start Debian's Chromium (Playwright's own browser download does not
work here): headless, with no sandbox, GPU, QUIC or background network."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
