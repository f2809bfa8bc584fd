"""Forms of the engine's own steps: filing, documents, securities, comments and each action."""

import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core import clock
from core.files import sniff
from core.forms import choices
from core.registry import LiveMap, step_actions
from core.workflow.cascade import isin_problem

DOCUMENT_KINDS = ("pdf", "docx", "ole", "xlsx")


def read_upload(field, kinds=DOCUMENT_KINDS):
    """Validate an uploaded file by its content; return (bytes, kind)."""
    data = field.data.read() if field.data else b""
    if not data:
        raise ValidationError(_l("Приложите файл."))
    kind = sniff(data)
    if kind not in kinds:
        raise ValidationError(_l("Допустимы файлы PDF, DOC, DOCX и XLSX (проверяется содержимое файла)."))
    return data, kind


class FileForm(FlaskForm):
    company = SelectField(_l("Компания"), validators=[DataRequired(_l("Выберите компанию."))])


class DocumentForm(FlaskForm):
    title = SelectField(_l("Документ"), validators=[DataRequired(_l("Выберите документ из перечня."))])
    file = FileField(_l("Файл"), validators=[FileRequired(_l("Приложите файл."))])

    def validate_file(self, field):
        self.file_bytes, self.file_kind = read_upload(field)


class ConsultantForm(FlaskForm):
    employee = SelectField(
        _l("Работник финансового консультанта"), validators=[DataRequired(_l("Выберите работника."))]
    )


class SecurityForm(FlaskForm):
    isin = StringField(
        _l("ISIN"),
        validators=[DataRequired(_l("Укажите ISIN ценной бумаги.")), Length(max=12)],
        description=_l("12 знаков: код страны, 9 знаков и контрольная цифра, например KZ1C00000876."),
    )

    def validate_isin(self, field):
        field.data = (field.data or "").strip().upper()
        problem = isin_problem(field.data)
        if problem == "format":
            raise ValidationError(
                _l(
                    "ISIN состоит из 12 знаков: две латинские буквы кода страны, девять букв или "
                    "цифр и контрольная цифра."
                )
            )
        if problem == "check":
            raise ValidationError(_l("ISIN указан с ошибкой: не сходится контрольная цифра."))


class CommentForm(FlaskForm):
    form_code = StringField(validators=[DataRequired(), Length(max=64)])
    field = StringField(validators=[DataRequired(), Length(max=64)])
    text = TextAreaField(
        _l("Комментарий"), validators=[DataRequired(_l("Введите текст комментария.")), Length(max=4000)]
    )


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=4000)])


class ReturnForm(FlaskForm):
    """The first head's decision (G-20): one comment for "Вернуть на доработку" and "Согласовано" alike. It is
    optional for "Согласовано"; a return needs it unless he left comments beside the fields."""

    note = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=4000)])

    HINT = _l(
        "Необязателен для «Согласовано». Для «Вернуть на доработку» напишите, что нужно исправить, "
        "или оставьте комментарии к полям."
    )


class SignForm(FlaskForm):
    signature = FileField(
        _l("Файл для подписи"),
        validators=[FileRequired(_l("Приложите файл подписи (CMS)."))],
        description=_l("Отсоединённая подпись CMS документа, скачанного выше: DER, PEM или base64."),
    )


class RegisterForm(FlaskForm):
    registration_number = StringField(
        _l("Регистрационный номер"), validators=[DataRequired(_l("Укажите регистрационный номер.")), Length(max=64)]
    )
    registered_on = DateField(
        _l("Дата регистрации"), validators=[DataRequired(_l("Укажите дату регистрации."))], default=clock.today
    )


class RequestDocumentsForm(FlaskForm):
    note = TextAreaField(
        _l("Какие документы нужны"), validators=[DataRequired(_l("Перечислите нужные документы.")), Length(max=4000)]
    )
    deadline = DateField(_l("Срок представления"), validators=[DataRequired(_l("Укажите срок."))])

    def validate_deadline(self, field):
        if field.data and field.data <= clock.today():
            raise ValidationError(_l("Срок должен быть позже сегодняшнего дня."))


class AnswerForm(FlaskForm):
    note = TextAreaField(_l("Ответ на запрос"), validators=[DataRequired(_l("Напишите ответ.")), Length(max=4000)])
    files = MultipleFileField(_l("Документы"))

    def validate_files(self, field):
        self.uploads = []
        for upload in field.data or []:
            if not upload or not upload.filename:
                continue
            data = upload.read()
            kind = sniff(data)
            if kind not in DOCUMENT_KINDS:
                raise ValidationError(_l("Допустимы файлы PDF, DOC, DOCX и XLSX (проверяется содержимое файла)."))
            self.uploads.append((upload.filename, data, kind))


class ScheduleForm(FlaskForm):
    meeting_date = DateField(_l("Дата заседания"), validators=[DataRequired(_l("Укажите дату заседания."))])
    meeting_time = TimeField(_l("Время"), validators=[DataRequired(_l("Укажите время."))], default=datetime.time(15, 0))

    def validate_meeting_date(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError(_l("Дата заседания не может быть в прошлом."))


DECISIONS = {
    "approved": _l("Положительное решение"),
    "refused": _l("Отказ"),
}


class DecideForm(FlaskForm):
    result = SelectField(
        _l("Решение"), choices=choices(DECISIONS.items()), validators=[DataRequired(_l("Выберите решение."))]
    )
    note = TextAreaField(_l("Текст решения"), validators=[DataRequired(_l("Запишите решение.")), Length(max=4000)])
    grounds = TextAreaField(
        _l("Основание решения"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Например: пункт правил, которому соответствуют или не соответствуют ценные бумаги. "
            "Решение органа и дата заседания указываются в письме сами."
        ),
    )


class LetterForm(FlaskForm):
    title = StringField(
        _l("Наименование документа"),
        validators=[DataRequired(_l("Укажите наименование.")), Length(max=500)],
        default=_l("Письмо Биржи"),
    )
    file = FileField(
        _l("Файл письма (PDF)"),
        description=_l("Не прикладывайте файл, чтобы Биржа сформировала письмо по записанному решению."),
    )

    def validate_file(self, field):
        self.file_bytes = None
        if field.data and field.data.filename:
            self.file_bytes, _ = read_upload(field, kinds=("pdf",))


# The forms of the engine's own actions; a plugin's action brings its own (``StepAction.form``).
CORE_ACTION_FORMS = {
    "send_to_head": NoteForm,
    "return": ReturnForm,
    "approve": ReturnForm,
    "sign": SignForm,
    "register": RegisterForm,
    "request_documents": RequestDocumentsForm,
    "answer": AnswerForm,
    "schedule": ScheduleForm,
    "decide": DecideForm,
    "issue_letter": LetterForm,
    "archive": NoteForm,
    "withdraw": NoteForm,
    "accept": NoteForm,
}
ACTION_FORMS = LiveMap(step_actions, lambda action: action.form)


# Actions that share one form on the page (the first head's decision): their fields carry one prefix.
ACTION_PREFIX = {"return": "decision", "approve": "decision"}


def prefix_of(action: str) -> str:
    return ACTION_PREFIX.get(action, action)
