"""Signing in and out, passwords (G-4, G-8.2), and the checks every signed-in request passes."""

import datetime

from flask import redirect, request, url_for
from flask_login import LoginManager, current_user

from core.accounts.models import UserSession

login_manager = LoginManager()

# While a password is expired the user may only change it, switch language or leave.
EXPIRED_PASSWORD_ALLOWED = {"auth.change_password", "auth.logout", "cabinet.set_language", "auth.agreement"}


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are server-side rows; see UserSession

    @login_manager.user_loader
    def load_user(token):
        idle = datetime.timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
        sess = UserSession.lookup(token, idle)
        if sess is None:
            return None
        user = sess.user
        user.session = sess
        return user

    @app.before_request
    def force_password_change():
        if not current_user.is_authenticated:
            return None
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.endswith(".static") or endpoint in EXPIRED_PASSWORD_ALLOWED:
            return None
        if current_user.password_expired():
            return redirect(url_for("auth.change_password"))
        return None
