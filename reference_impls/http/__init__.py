"""HTTP/1.1 (RFC 9110, RFC 9112). The origin server: message rules in :mod:`.message`,
its sans-IO core in :mod:`.protocol`, its docroot in :mod:`.site`, its asyncio shell
in :mod:`.server`. The forward proxy: :mod:`.proxycore` and :mod:`.proxy`; the
client: :mod:`.client`."""
