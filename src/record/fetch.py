"""`snipcheck record`: fetches one URL for the cassette, in the parent process.

The examples never reach the network, even while recording: they run
sandboxed as always and report the URLs they wanted; the parent fetches
those (the user consented with --allow-network) and replays them later.
"""

import urllib.error
import urllib.request

# Headers that describe the transfer, not the answer: replaying them would lie.
TRANSFER = {"content-length", "transfer-encoding", "connection", "content-encoding", "date",
            "keep-alive", "set-cookie"}


def fetch(url, timeout):
    """(status, headers, body text) of a GET of `url`; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"User-Agent": "snipcheck-record"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - consented
    except urllib.error.HTTPError as error:
        response = error
    with response:
        body = response.read().decode("utf-8", errors="replace")
        headers = {k: v for k, v in response.headers.items() if k.lower() not in TRANSFER}
        return response.status, headers, body
