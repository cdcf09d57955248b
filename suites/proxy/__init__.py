"""HTTP forward proxies with Basic proxy authentication (RFC 9110, RFC 9112, RFC 7617).

Target: ``http://host[:8080]``, a forward proxy that demands Basic credentials, and/or
``https://host[:8443]``, the same spoken to over TLS (an "HTTPS proxy"; the checks run
over each scheme given, and the embedded reference listens on both); give
the ones it accepts with ``--proxy-credentials USER:PASSWORD`` (default: the embedded
reference's demo credentials ``wirecert:proxy-demo``).

The suite runs its own recording origin server on 127.0.0.1 (a port the kernel picks)
and sends every request through the target proxy to it, so each check sees exactly
what the proxy forwarded: absolute-form requests, and ``CONNECT`` tunnels to the same
origin. The proxy must therefore be allowed to reach 127.0.0.1 (and CONNECT to a
port other than 443).
"""

from __future__ import annotations

from harness.suite import Suite, SuiteOption

#: The embedded reference's demo credentials (reference_impls.http.proxycore).
DEFAULT_CREDENTIALS = "wirecert:proxy-demo"


def _credentials(text: str) -> str:
    user, colon, _password = text.partition(":")
    if not colon or not user:
        raise ValueError("USER:PASSWORD, e.g. wirecert:proxy-demo (the user cannot contain ':')")
    return text


SUITE = Suite(
    name="proxy",
    title="HTTP forward proxy with Basic proxy authentication (RFC 9110, RFC 9112, RFC 7617)",
    schemes={"http": 8080, "https": 8443},
    reference="httpproxy",
    options=(
        SuiteOption(
            "credentials",
            "USER:PASSWORD the target proxy accepts in Proxy-Authorization: Basic (default "
            f"{DEFAULT_CREDENTIALS}, the embedded reference's demo credentials)",
            _credentials,
            DEFAULT_CREDENTIALS,
        ),
    ),
)
