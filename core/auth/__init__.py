"""Signing in and out, passwords (G-4, G-8.2), and the checks every signed-in request passes."""

import datetime

from flask import redirect, request, url_for
from flask_login import LoginManager, current_user

from core import tokens
from core.accounts.models import UserSession

login_manager = LoginManager()

# While a password is expired the user may only change it, switch language or leave.
EXPIRED_PASSWORD_ALLOWED = {"auth.change_password", "auth.logout", "cabinet.set_language", "auth.agreement"}
# While a required second factor is not set up the user may only set it up (or do the above).
MFA_SETUP_ALLOWED = EXPIRED_PASSWORD_ALLOWED | {"mfa.setup"}


def init_app(app) -> None:
    from core.auth import mfa
    from core.auth.mfa import views as mfa_views

    app.register_blueprint(mfa_views.bp)
    app.add_template_global(mfa.state_label, "mfa_state")
    app.add_template_global(mfa.state_labels, "mfa_states")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are server-side rows; see UserSession

    @login_manager.user_loader
    def load_user(token):
        if tokens.route_loader() is not None:
            return None  # a browser session never opens an API route: its bearer token does (the request loader)
        idle = datetime.timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
        sess = UserSession.lookup(token, idle)
        if sess is None:
            return None
        user = sess.user
        user.session = sess
        return user

    login_manager.request_loader(tokens.load_user)

    @app.before_request
    def force_password_change():
        # an API route answers its system in JSON, never with a page to go to
        if tokens.route_loader() is not None or not current_user.is_authenticated:
            return None
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.endswith(".static") or endpoint in EXPIRED_PASSWORD_ALLOWED:
            return None
        if current_user.password_expired():
            return redirect(url_for("auth.change_password"))
        return None

    @app.before_request
    def force_second_factor():
        # Registered after the password check: an expired password is changed first, then the factor.
        if not app.config.get("MFA_REQUIRED") or tokens.route_loader() is not None:
            return None
        if not current_user.is_authenticated:
            return None
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.endswith(".static") or endpoint in MFA_SETUP_ALLOWED:
            return None
        if mfa.must_enrol(current_user):
            return redirect(url_for("mfa.setup"))
        return None
