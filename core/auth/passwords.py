"""Password rule G-8.2 and hashing with a memory-hard KDF (Argon2id)."""

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

_STRONG = PasswordHasher()  # argon2id, 64 MiB, time cost 3: the library's RFC 9106 low-memory profile
# For the test suite only (FAST_PASSWORD_HASHING): the same algorithm with tiny costs, because the
# suite signs in thousands of times and each strong hash takes a large fraction of a second here.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_hasher = _STRONG


def use_fast_hashing(fast: bool) -> None:
    global _hasher
    _hasher = _FAST if fast else _STRONG


MIN_LENGTH, MAX_LENGTH = 8, 12
SYMBOLS = set(string.punctuation) | {" ", "№", "«", "»", "—"}


def problems(password: str) -> list[str]:
    """Each condition of G-8.2 the password breaks, in words a user understands."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(_l("не короче 8 символов"))
    if len(password) > MAX_LENGTH:
        found.append(_l("не длиннее 12 символов"))
    if not any(c.isdigit() for c in password):
        found.append(_l("хотя бы одна цифра"))
    if not any(c.isupper() for c in password):
        found.append(_l("хотя бы одна заглавная буква"))
    if not any(c.islower() for c in password):
        found.append(_l("хотя бы одна строчная буква"))
    if not any(c in SYMBOLS or not c.isalnum() for c in password):
        found.append(_l("хотя бы один специальный символ, например ! # % *"))
    return found


class PasswordRule:
    """WTForms validator for G-8.2 that names every broken condition."""

    def __call__(self, form, field):
        broken = problems(field.data or "")
        if broken:
            raise ValidationError(
                _l("Пароль не отвечает требованиям: %(list)s.", list=", ".join(str(p) for p in broken))
            )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


_decoys: dict[int, str] = {}


def verify_decoy(password: str) -> bool:
    """Spend what checking a real password costs, against a hash of a random one: the sign-in of an
    unknown, locked or password-less account must take as long as a wrong password on a real one."""
    key = id(_hasher)
    if key not in _decoys:
        import secrets

        _decoys[key] = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_decoys[key], password)
    return False
