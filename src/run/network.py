"""The network as a guide's examples see it: declared URLs answer, nothing else.

Loaded into the embedded interpreter before `harness.py` (as module
`snipcheck_network`). `requests` (installed or not), `urllib.request`,
`http.client` and sockets answer only the URLs declared under `[network]` in
snipcheck.toml, and refuse everything else before any connection is made.
"""

import io
import json
import socket
import sys
import types

class StubbedNetwork(OSError):
    pass


def refuse(url):
    error = StubbedNetwork(
        f"network is stubbed: no response declared for URL {url} "
        "(declare it under [network] in snipcheck.toml)"
    )
    error.url = url
    return error


class CannedResponse:
    """The parts of requests.Response and http.client.HTTPResponse guides use."""

    def __init__(self, url, spec):
        self.url = url
        self.status_code = self.status = spec.get("status", 200)
        self.headers = dict(spec.get("headers", {}))
        if spec.get("json") is not None:
            self.text = json.dumps(spec["json"])
            self.headers.setdefault("Content-Type", "application/json")
        else:
            self.text = spec.get("body", "")
        self.content = self.text.encode()
        self.ok = self.status_code < 400
        self.reason = "OK" if self.ok else "Error"
        self._body = io.BytesIO(self.content)

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        if not self.ok:
            raise FakeRequests.HTTPError(f"{self.status_code} Error for url: {self.url}")

    # urllib flavour
    def read(self, *args):
        return self._body.read(*args)

    def getcode(self):
        return self.status

    def geturl(self):
        return self.url

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Network:
    """Answers declared URLs; refuses everything else, before any socket opens."""

    def __init__(self):
        self.responses = {}

    def patch_urllib(self, urllib_request):
        import urllib.error

        def urlopen(url, *args, **kwargs):
            full = url.full_url if isinstance(url, urllib_request.Request) else url
            try:
                return self.respond(full)
            except StubbedNetwork as e:
                raise urllib.error.URLError(str(e)) from None

        urllib_request.urlopen = urlopen

    @staticmethod
    def patch_http_client(http_client):
        def connect(self_, *args, **kwargs):
            raise refuse(f"http://{self_.host}:{self_.port}")

        http_client.HTTPConnection.connect = connect

    def respond(self, url):
        url = str(url)
        if url not in self.responses:
            raise refuse(url)
        return CannedResponse(url, self.responses[url])

    def install(self, after_import):
        """`after_import(name, patch)` patches a module when it is imported."""
        sys.modules["requests"] = FakeRequests.module(self)
        after_import("urllib.request", self.patch_urllib)
        after_import("http.client", self.patch_http_client)

        def socket_connect(self_, address, *args):
            if self_.family == socket.AF_UNIX:
                return REAL_CONNECT(self_, address, *args)
            raise refuse(f"socket {address!r}")

        socket.socket.connect = socket_connect
        socket.socket.connect_ex = socket_connect
        socket.create_connection = lambda address, *a, **k: (_ for _ in ()).throw(
            refuse(f"socket {address!r}")
        )


REAL_CONNECT = socket.socket.connect


class FakeRequests:
    """A `requests` module (installed or not) backed by [network]."""

    class RequestException(IOError):
        pass

    class ConnectionError(RequestException):
        pass

    class HTTPError(RequestException):
        pass

    class Timeout(RequestException):
        pass

    @classmethod
    def module(cls, network):
        m = types.ModuleType("requests")
        m.RequestException = cls.RequestException
        m.ConnectionError = cls.ConnectionError
        m.HTTPError = cls.HTTPError
        m.Timeout = cls.Timeout
        m.exceptions = m

        def request(method, url, *args, **kwargs):
            try:
                return network.respond(url)
            except StubbedNetwork as e:
                raise cls.ConnectionError(str(e)) from None

        m.request = request
        for verb in ("get", "post", "put", "patch", "delete", "head", "options"):
            setattr(m, verb, lambda url, *a, _v=verb, **k: request(_v, url))

        class Session:
            def __init__(self):
                self.headers = {}

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def close(self):
                pass

        for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request"):
            setattr(Session, verb, lambda self, url, *a, **k: request("get", url))
        m.Session = Session
        m.Response = CannedResponse
        return m


NETWORK = Network()
