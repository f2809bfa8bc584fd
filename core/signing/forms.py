"""Forms of signing: the trust store, the organisations' authorised signers, a letter's signature and the
public "Проверить документ"."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class TrustUploadForm(FlaskForm):
    certificate = FileField(
        _l("Сертификат"),
        validators=[FileRequired(_l("Приложите файл сертификата."))],
        description=_l("Корневой или промежуточный сертификат УЦ: PEM (можно несколько в одном файле), DER или CER."),
    )


class CrlUploadForm(FlaskForm):
    crl = FileField(
        _l("Список отзыва (CRL)"),
        validators=[FileRequired(_l("Приложите файл списка отзыва."))],
        description=_l(
            "CRL удостоверяющего центра, сертификаты которого не указывают источник сведений об отзыве: DER или PEM. "
            "Загружайте новый список до даты следующего обновления."
        ),
    )


class PolicyForm(FlaskForm):
    organisation = StringField(
        _l("Код или БИН организации"),
        validators=[DataRequired(_l("Укажите код или БИН организации.")), Length(max=16)],
    )
    note = StringField(_l("Основание (доверенность)"), validators=[Optional(), Length(max=500)])


class LetterSignForm(FlaskForm):
    signature = FileField(
        _l("Файл для подписи"),
        validators=[FileRequired(_l("Приложите файл подписи (CMS)."))],
        description=_l("Отсоединённая подпись CMS документа, скачанного выше: DER, PEM или base64."),
    )


class CheckForm(FlaskForm):
    code = StringField(
        _l("Код документа"),
        validators=[Optional(), Length(max=32)],
        description=_l("Напечатан внизу страниц документа, например 7KQ2-M9XD-4TPA."),
    )
    file = FileField(
        _l("Файл документа"),
        description=_l("Подписанный экземпляр (PDF) или документ, к которому прилагается подпись CMS."),
    )
    signature = FileField(_l("Файл подписи CMS (если подпись отдельным файлом)"))
