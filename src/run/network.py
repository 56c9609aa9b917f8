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
    """Answers declared URLs; refuses everything else, before any socket opens.

    Installed HTTP libraries stay real: `requests`, `httpx`, `urllib3` and
    `aiohttp` keep their sessions, exceptions and status handling, and only
    their transport answers from `[network]`. Without `requests` installed,
    a stand-in package takes its place (see `StandInFinder`).
    """

    def __init__(self):
        self.responses = {}

    def lookup(self, url):
        """The declared response for `url` (a trailing `/` aside)."""
        url = str(url)
        for candidate in (url, url.rstrip("/"), url + "/"):
            if candidate in self.responses:
                return candidate, self.responses[candidate]
        raise refuse(url)

    def respond(self, url):
        url, spec = self.lookup(url)
        return CannedResponse(url, spec)

    def patch_urllib(self, urllib_request):
        import urllib.error

        def urlopen(url, *args, **kwargs):
            full = url.full_url if isinstance(url, urllib_request.Request) else url
            try:
                return self.respond(full)
            except StubbedNetwork as e:
                raise urllib.error.URLError(str(e)) from e

        urllib_request.urlopen = urlopen

    @staticmethod
    def patch_http_client(http_client):
        def connect(self_, *args, **kwargs):
            raise refuse(f"http://{self_.host}:{self_.port}")

        http_client.HTTPConnection.connect = connect

    def patch_requests(self, adapters):
        """A real `requests`: its HTTPAdapter answers from [network]."""
        import requests

        network = self

        def send(adapter, request, stream=False, timeout=None, verify=True, cert=None,
                 proxies=None):
            try:
                url, spec = network.lookup(request.url)
            except StubbedNetwork as e:
                raise requests.exceptions.ConnectionError(str(e), request=request) from e
            canned = CannedResponse(url, spec)
            response = requests.models.Response()
            response.status_code = canned.status_code
            response.headers = requests.structures.CaseInsensitiveDict(canned.headers)
            response._content = canned.content
            response.raw = io.BytesIO(canned.content)
            response.url, response.request, response.connection = request.url, request, adapter
            response.reason = reason(canned.status_code)
            response.encoding = requests.utils.get_encoding_from_headers(response.headers)
            return response

        adapters.HTTPAdapter.send = send

    def patch_httpx(self, httpx):
        """A real `httpx`: its transports answer from [network]."""
        network = self

        def respond(request):
            try:
                url, spec = network.lookup(request.url)
            except StubbedNetwork as e:
                raise httpx.ConnectError(str(e), request=request) from e
            canned = CannedResponse(url, spec)
            return httpx.Response(canned.status_code, headers=canned.headers,
                                  content=canned.content, request=request)

        async def respond_async(transport, request):
            return respond(request)

        httpx.HTTPTransport.handle_request = lambda transport, request: respond(request)
        httpx.AsyncHTTPTransport.handle_async_request = respond_async

    def patch_urllib3(self, poolmanager):
        """A real `urllib3` used directly: its PoolManager answers from [network]."""
        import urllib3

        network = self

        def urlopen(manager, method, url, redirect=True, **kwargs):
            try:
                url, spec = network.lookup(url)
            except StubbedNetwork as e:
                raise urllib3.exceptions.MaxRetryError(None, str(url), e) from e
            canned = CannedResponse(url, spec)
            return urllib3.response.HTTPResponse(
                body=io.BytesIO(canned.content), headers=canned.headers,
                status=canned.status_code, reason=reason(canned.status_code),
                preload_content=kwargs.get("preload_content", True), request_url=url)

        poolmanager.PoolManager.urlopen = urlopen

    def patch_aiohttp(self, client):
        """A real `aiohttp`: a session's requests answer from [network]."""
        network = self

        async def request(session, method, url, **kwargs):
            try:
                url, spec = network.lookup(url)
            except StubbedNetwork as e:
                raise client.ClientConnectionError(str(e)) from e
            return AiohttpResponse(client, method, url, CannedResponse(url, spec))

        client.ClientSession._request = request

    def install(self, after_import):
        """`after_import(name, patch)` patches a module when it is imported."""
        sys.meta_path.append(StandInFinder(self))
        after_import("urllib.request", self.patch_urllib)
        after_import("http.client", self.patch_http_client)
        after_import("requests.adapters", self.patch_requests)
        after_import("httpx", self.patch_httpx)
        after_import("urllib3.poolmanager", self.patch_urllib3)
        after_import("aiohttp.client", self.patch_aiohttp)

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


def reason(status):
    import http

    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class AiohttpResponse:
    """What `async with session.get(url) as response:` code uses of aiohttp's."""

    def __init__(self, client, method, url, canned):
        self._client, self._canned = client, canned
        self.method, self.url = method, url
        self.status, self.reason = canned.status_code, reason(canned.status_code)
        self.headers = dict(canned.headers)
        self.ok = canned.ok

    async def text(self, encoding=None):
        return self._canned.text

    async def json(self, **kwargs):
        return self._canned.json()

    async def read(self):
        return self._canned.content

    def raise_for_status(self):
        if not self.ok:
            raise self._client.ClientResponseError(
                None, (), status=self.status, message=self.reason)

    def release(self):
        pass

    close = release

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


class StandInFinder:
    """Last on `sys.meta_path`: serves a stand-in `requests` package only
    when no real one is installed, so `import requests`,
    `from requests.exceptions import HTTPError` and
    `from requests.adapters import HTTPAdapter` work either way."""

    def __init__(self, network):
        self.network = network

    def find_spec(self, name, path, target=None):
        if name != "requests":
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        return StandInRequests.package(self.network)

    def exec_module(self, module):
        pass


class StandInRequests:
    """A `requests` package backed by [network], for when it is not installed."""

    @classmethod
    def package(cls, network):
        package = cls.submodule("requests", is_package=True)
        exceptions = cls.exceptions()
        models = cls.submodule("requests.models", Response=cls.response_class(exceptions))
        adapters = cls.submodule("requests.adapters",
                                 HTTPAdapter=cls.adapter_class(network, exceptions, models))
        sessions = cls.submodule("requests.sessions",
                                 Session=cls.session_class(adapters.HTTPAdapter))
        status_codes = cls.submodule("requests.status_codes", codes=StatusCodes())
        api = {verb: cls.verb(sessions.Session, verb) for verb in VERBS}
        api["request"] = lambda method, url, **kw: sessions.Session().request(method, url, **kw)
        for name, module in (("exceptions", exceptions), ("models", models),
                             ("adapters", adapters), ("sessions", sessions),
                             ("status_codes", status_codes)):
            setattr(package, name, module)
            sys.modules[f"requests.{name}"] = module
        package.__dict__.update(
            {k: v for k, v in vars(exceptions).items() if not k.startswith("_")},
            Response=models.Response, Session=sessions.Session, session=sessions.Session,
            codes=status_codes.codes, __version__="0 (snipcheck stand-in)", **api)
        return package

    @staticmethod
    def submodule(name, is_package=False, **attributes):
        module = types.ModuleType(name)
        if is_package:
            module.__path__ = []
        module.__package__ = "requests"
        module.__dict__.update(attributes)
        return module

    @classmethod
    def exceptions(cls):
        class RequestException(IOError):
            def __init__(self, *args, response=None, request=None):
                super().__init__(*args)
                self.response, self.request = response, request

        names = {"RequestException": RequestException}

        def subclass(name, *bases):
            names[name] = type(name, bases, {"__module__": "requests.exceptions"})

        subclass("HTTPError", RequestException)
        subclass("ConnectionError", RequestException)
        subclass("Timeout", RequestException)
        subclass("ConnectTimeout", names["ConnectionError"], names["Timeout"])
        subclass("ReadTimeout", names["Timeout"])
        subclass("TooManyRedirects", RequestException)
        subclass("InvalidURL", RequestException, ValueError)
        subclass("JSONDecodeError", RequestException, ValueError)
        RequestException.__module__ = "requests.exceptions"
        return cls.submodule("requests.exceptions", **names)

    @staticmethod
    def response_class(exceptions):
        class Response(CannedResponse):
            def raise_for_status(self):
                if not self.ok:
                    raise exceptions.HTTPError(
                        f"{self.status_code} {self.reason} for url: {self.url}", response=self)

        Response.__module__ = "requests.models"
        return Response

    @staticmethod
    def adapter_class(network, exceptions, models):
        class HTTPAdapter:
            def __init__(self, pool_connections=10, pool_maxsize=10, max_retries=0,
                         pool_block=False):
                self.max_retries = max_retries

            def send(self, method, url):
                try:
                    url, spec = network.lookup(url)
                except StubbedNetwork as e:
                    raise exceptions.ConnectionError(str(e)) from e
                response = models.Response(url, spec)
                response.reason = reason(response.status_code)
                return response

            def close(self):
                pass

        HTTPAdapter.__module__ = "requests.adapters"
        return HTTPAdapter

    @staticmethod
    def session_class(adapter_class):
        class Session:
            def __init__(self):
                self.headers, self.params, self.auth = {}, {}, None
                self.adapters = {"https://": adapter_class(), "http://": adapter_class()}

            def mount(self, prefix, adapter):
                self.adapters[prefix] = adapter

            def request(self, method, url, params=None, **kwargs):
                if params:
                    import urllib.parse

                    url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
                prefix = max((p for p in self.adapters if url.startswith(p)), key=len,
                             default="https://")
                return self.adapters[prefix].send(method.upper(), url)

            def close(self):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.close()
                return False

        for verb in VERBS:
            setattr(Session, verb, lambda self, url, _verb=verb, **kw: self.request(
                _verb, url, **kw))
        Session.__module__ = "requests.sessions"
        return Session

    @staticmethod
    def verb(session_class, verb):
        return lambda url, **kwargs: session_class().request(verb, url, **kwargs)


VERBS = ("get", "post", "put", "patch", "delete", "head", "options")


class StatusCodes(dict):
    """`requests.codes.ok == 200`, `requests.codes["not_found"] == 404`."""

    def __init__(self):
        import http

        super().__init__((s.name.lower(), s.value) for s in http.HTTPStatus)
        self.update(ok=200, okay=200, all_good=200, teapot=418)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


NETWORK = Network()
