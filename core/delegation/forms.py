"""Forms of delegation: giving a power of attorney, signing it, revoking it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import clock
from core.files import sniff
from core.forms import choices


class PowerOfAttorneyForm(FlaskForm):
    substitute = SelectField(
        _l("Заместитель (поверенный)"),
        coerce=str,
        validators=[DataRequired(_l("Выберите пользователя вашей организации."))],
    )
    number = StringField(
        _l("Номер доверенности"), validators=[DataRequired(_l("Укажите номер доверенности.")), Length(max=64)]
    )
    issued_on = DateField(_l("Дата доверенности"), validators=[DataRequired(_l("Укажите дату доверенности."))])
    valid_from = DateField(
        _l("Действует с"), validators=[DataRequired(_l("Укажите дату начала."))], default=clock.today
    )
    valid_until = DateField(_l("Действует по (включительно)"), validators=[DataRequired(_l("Укажите дату окончания."))])
    scan = FileField(
        _l("Скан доверенности (PDF)"),
        validators=[FileRequired(_l("Приложите скан доверенности в PDF."))],
        description=_l("Подписанная на бумаге доверенность, отсканированная в PDF."),
    )

    def __init__(self, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.substitute.choices = choices(
            [("", _l("— выберите —"))] + [(str(u.id), f"{u.full_name}, {u.position}".strip(", ")) for u in people]
        )
        self.scan_bytes = b""

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("Дата окончания раньше даты начала."))
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Срок доверенности уже истёк."))

    def validate_issued_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_l("Дата доверенности не может быть позже сегодняшнего дня."))
        if field.data and self.valid_from.data and field.data > self.valid_from.data:
            raise ValidationError(_l("Доверенность не может действовать раньше даты её выдачи."))

    def validate_scan(self, field):
        data = field.data.read() if field.data else b""
        if sniff(data) != "pdf":
            raise ValidationError(_l("Приложите скан в формате PDF (проверяется содержимое файла)."))
        self.scan_bytes = data


class PoaSignForm(FlaskForm):
    signature = FileField(
        _l("Файл для подписи"),
        validators=[FileRequired(_l("Приложите файл подписи (CMS)."))],
        description=_l("Отсоединённая подпись CMS документа, скачанного выше: DER, PEM или base64."),
    )


class RevokeForm(FlaskForm):
    reason = StringField(_l("Причина отзыва"), validators=[Optional(), Length(max=500)])
