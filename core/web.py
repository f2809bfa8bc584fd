"""Small helpers every view uses: render a page or, for htmx, one named block of it."""

from flask import current_app, g, has_request_context, make_response, render_template, request, url_for
from jinja2_fragments.flask import render_block

FRAGMENT = "is2in_fragment"  # set in g while one block is rendered: the page's frame is not (core.templating)


def render(template: str, block: str | None = None, **context):
    """Render ``template``; an htmx request (not a boosted page load) gets only ``block``, with a light context:
    the menu and the unread count belong to the page's frame, which a fragment does not carry."""
    if block and request.htmx and not request.htmx.boosted:
        setattr(g, FRAGMENT, True)
        try:
            response = make_response(render_block(template, block, **context))
        finally:
            g.pop(FRAGMENT, None)
    else:
        response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def client_ip() -> str:
    return request.remote_addr or ""


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mail (IS2IN_BASE_URL + the route), also from the CLI or a task."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        # The URL map itself, not a stand-in request: popping one runs the teardown_request hooks, which
        # close a PostgreSQL connection, and fail inside a CLI command's or a job's open transaction.
        path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


# Issue #20: a page builds twenty to thirty addresses (the stage tabs, the menu's, the static files), each a walk
# through Flask's url_for and werkzeug's rule builder; the same address is asked again on every load of the page.
URL_MEMO_SIZE = 8192  # addresses kept per process; the memo starts afresh when full (the hot ones come back)
_MEMO_TYPES = (str, int)


def memo_url_for(app):
    """``url_for`` for templates, remembering each address it built for a process: an address depends only on the
    endpoint, its values and where the app is mounted (the request's script root and host), all in the key. Only
    the plain case is remembered: no ``_anchor``/``_external``/``_method``/``_scheme``, values exactly str or int
    (``1`` and ``True`` are equal keys, and build differently), a blueprint-relative endpoint with its
    blueprint, and no ``url_defaults`` function registered (those may read the request); a failure to build is
    never kept. Anything else is Flask's own ``url_for``."""
    from flask.globals import request_ctx

    built = {}

    def url_for(endpoint, /, **values):
        if app.url_default_functions or any(key[:1] == "_" for key in values):
            return app.url_for(endpoint, **values)
        for value in values.values():
            if type(value) not in _MEMO_TYPES:
                return app.url_for(endpoint, **values)
        ctx = request_ctx._get_current_object() if has_request_context() else None
        adapter = ctx.url_adapter if ctx is not None else None
        if adapter is None:
            return app.url_for(endpoint, **values)
        key = (
            endpoint,
            ctx.request.blueprint if endpoint[:1] == "." else None,
            adapter.script_name,
            adapter.server_name,
            adapter.subdomain,
            adapter.url_scheme,
            # in the order given: werkzeug writes query arguments in that order (a=1&b=2 is not b=2&a=1)
            tuple(values.items()),
            tuple(map(type, values.values())),
        )
        address = built.get(key)
        if address is None:
            address = app.url_for(endpoint, **values)
            if len(built) >= URL_MEMO_SIZE:
                built.clear()
            built[key] = address
        return address

    return url_for
