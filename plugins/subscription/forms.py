"""Forms of the subscription module: the application (S-A1), orders, decisions."""

import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.files import sniff
from core.forms import DecimalField, IntegerField, choices
from core.workflow.cascade import isin_problem
from plugins.subscription.models import INVESTOR_ITEMS, METHODS, ORDER_FIELDS


def required(message=None):
    return DataRequired(message or _l("Заполните это поле."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApplicationForm(FlaskForm):
    """Form S-A1: the parameters and conditions 1-18 of a subscription."""

    # parameters
    issuer_name = StringField(_l("Эмитент"), validators=[required(), Length(max=255)])
    security_kind = RadioField(
        _l("Вид ценных бумаг"),
        validators=[required()],
        choices=choices([("equity", _l("Долевые (акции)")), ("debt", _l("Долговые (облигации)"))]),
        default="equity",
    )
    isin = StringField(_l("ISIN"), validators=[required(), Length(max=12)])
    quantity = IntegerField(
        _l("Количество размещаемых ценных бумаг"),
        validators=[Optional(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))],
    )
    total_nominal = DecimalField(
        _l("Объем выпуска по номинальной стоимости (в валюте выпуска)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательным."))],
    )
    nominal = DecimalField(
        _l("Номинальная стоимость одной облигации"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    price = DecimalField(
        _l("Цена одной ценной бумаги"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    book_value = DecimalField(
        _l("Балансовая стоимость одной акции (для рыночных заявок, по согласованию)"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    seller_account_type = StringField(
        _l("Вид субсчета продавца"),
        validators=[required(), Length(max=64)],
        default=_l("субсчет в центральном депозитарии"),
    )
    seller_account = StringField(_l("Номер субсчета продавца"), validators=[required(), Length(max=64)])
    private = BooleanField(_l("Частное размещение (только квалифицированные инвесторы, не более 50)"))
    abroad = BooleanField(_l("Одновременное размещение за рубежом"))
    # conditions, in Almaty time
    accept_from_date = DateField(_l("1. Дата начала приема заявок"), validators=[required()])
    accept_to_date = DateField(_l("2. Дата окончания приема заявок"), validators=[required()])
    accept_from_time = TimeField(
        _l("3. Время начала приема заявок"), validators=[required()], default=datetime.time(10, 0)
    )
    accept_to_time = TimeField(
        _l("4. Время окончания приема заявок"), validators=[required()], default=datetime.time(16, 0)
    )
    confirmation_minutes = IntegerField(
        _l("5. Период подтверждения заявок после окончания приема, минут"),
        default=30,
        validators=[Optional(), NumberRange(min=0, max=24 * 60)],
    )
    market_orders = BooleanField(_l("6. Рыночные заявки допускаются"))
    collateral_mode = RadioField(
        _l("7. Проверка обеспечения (с центральным контрагентом)"),
        choices=choices([("submission", _l("при подаче заявки")), ("at_time", _l("в заданные дату и время"))]),
        default="submission",
    )
    collateral_date = DateField(_l("Дата проверки обеспечения"), validators=[Optional()])
    # Defaults in the order the Rules need on the last day: the collateral check (S-5.2) before activation,
    # activation inside the period so the seller may remove orders after it until the end (S-4.3).
    collateral_time = TimeField(_l("Время проверки обеспечения"), validators=[Optional()], default=datetime.time(15, 0))
    activation_date = DateField(_l("8. Дата активации"), validators=[required()])
    activation_time = TimeField(_l("Время активации"), validators=[required()], default=datetime.time(15, 30))
    ccp = RadioField(
        _l("9. Режим"),
        choices=choices(
            [("1", _l("с участием центрального контрагента")), ("0", _l("без участия центрального контрагента"))]
        ),
        default="1",
    )
    currency = RadioField(_l("10. Валюта расчетов"), choices=choices([("KZT", "KZT"), ("USD", "USD")]), default="KZT")
    criteria_check = BooleanField(_l("11. Проверка заявок на соответствие критериям"))
    criteria = TextAreaField(_l("11.1–11.n. Критерии (по одному в строке)"), validators=[Optional(), Length(max=4000)])
    investor_data = BooleanField(_l("12. Требуются сведения об инвесторах"))
    investor_items = MultiCheckboxField(_l("12.1–12.6. Сведения"), choices=choices(INVESTOR_ITEMS.items()))
    accepted_register_on = DateField(_l("13. Дата предоставления реестра принятых заявок"), validators=[required()])
    satisfied_register_on = DateField(
        _l("14. Дата предоставления реестра удовлетворенных заявок"), validators=[required()]
    )
    settlement_org = RadioField(
        _l("15. Расчеты проводит"),
        choices=choices([("cd", _l("центральный депозитарий")), ("other", _l("иная организация"))]),
        default="cd",
    )
    settlement_org_name = StringField(_l("Наименование иной организации"), validators=[Optional(), Length(max=255)])
    deal_date = DateField(_l("16. Дата заключения сделок"), validators=[required()])
    deal_time = TimeField(_l("Время заключения сделок"), validators=[required()], default=datetime.time(11, 0))
    settlement_date = DateField(_l("17. Дата расчетов"), validators=[required()])
    settlement_time = TimeField(_l("Время расчетов"), validators=[required()], default=datetime.time(15, 0))
    other_conditions = TextAreaField(_l("18. Иные условия"), validators=[Optional(), Length(max=4000)])

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

    def applies(self) -> dict[str, bool]:
        """Which of the fields the chosen conditions call for (S-A1): item 7 only with CCP (footnote 8), its
        date and time only for a check at a set time, the bond parameters only for debt, the criteria and
        items 12.1-12.6 only when ticked, the other organisation only for that path. The page shows only
        these; the saved application keeps only these (``model_fields``)."""
        debt = self.security_kind.data == "debt"
        ccp = self.ccp.data != "0"
        return {
            "quantity": not debt,
            "total_nominal": debt,
            "nominal": debt,
            "book_value": not debt and bool(self.market_orders.data),
            "collateral_mode": ccp,
            "collateral_at": ccp and self.collateral_mode.data == "at_time",
            "criteria": bool(self.criteria_check.data),
            "investor_items": bool(self.investor_data.data),
            "settlement_org_name": self.settlement_org.data == "other",
        }

    def validate_collateral_mode(self, field):
        if self.ccp.data == "0":
            return  # item 7 is filled only with CCP: whatever was left in it is not the seller's condition
        if field.data == "at_time" and not (self.collateral_date.data and self.collateral_time.data):
            raise ValidationError(_l("Укажите дату и время проверки обеспечения."))

    def validate_settlement_org_name(self, field):
        if self.settlement_org.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Укажите организацию, проводящую расчеты."))

    def model_fields(self) -> dict:
        from plugins.subscription.rules import utc

        data = {
            "issuer_name": self.issuer_name.data.strip(),
            "security_kind": self.security_kind.data,
            "isin": self.isin.data,
            "quantity": self.quantity.data,
            "total_nominal": self.total_nominal.data,
            "nominal": self.nominal.data,
            "price": self.price.data,
            "book_value": self.book_value.data,
            "seller_account_type": self.seller_account_type.data.strip(),
            "seller_account": self.seller_account.data.strip(),
            "private": self.private.data,
            "abroad": self.abroad.data,
            "accept_from": utc(self.accept_from_date.data, self.accept_from_time.data),
            "accept_to": utc(self.accept_to_date.data, self.accept_to_time.data),
            "confirmation_minutes": self.confirmation_minutes.data or 0,
            "market_orders": self.market_orders.data,
            "collateral_mode": self.collateral_mode.data if self.ccp.data == "1" else "submission",
            "collateral_at": utc(self.collateral_date.data, self.collateral_time.data)
            if self.collateral_mode.data == "at_time" and self.collateral_date.data and self.collateral_time.data
            else None,
            "activation_at": utc(self.activation_date.data, self.activation_time.data),
            "ccp": self.ccp.data == "1",
            "currency": self.currency.data,
            "criteria_check": self.criteria_check.data,
            "criteria": (self.criteria.data or "").strip(),
            "investor_data": self.investor_data.data,
            "investor_items": __import__("json").dumps(self.investor_items.data or []),
            "accepted_register_on": self.accepted_register_on.data,
            "satisfied_register_on": self.satisfied_register_on.data,
            "settlement_org": self.settlement_org.data,
            "settlement_org_name": (self.settlement_org_name.data or "").strip(),
            "deal_at": utc(self.deal_date.data, self.deal_time.data),
            "settlement_at": utc(self.settlement_date.data, self.settlement_time.data),
            "other_conditions": (self.other_conditions.data or "").strip(),
        }
        applies = self.applies()
        for name in ("quantity", "total_nominal", "nominal", "book_value"):
            if not applies[name]:
                data[name] = None
        if not applies["collateral_at"]:
            data["collateral_at"] = None
        if not applies["criteria"]:
            data["criteria"] = ""
        if not applies["investor_items"]:
            data["investor_items"] = "[]"
        if not applies["settlement_org_name"]:
            data["settlement_org_name"] = ""
        return data

    def fill_from(self, sub):
        from plugins.subscription.rules import local

        for name in (
            "issuer_name",
            "security_kind",
            "isin",
            "quantity",
            "total_nominal",
            "nominal",
            "price",
            "book_value",
            "seller_account_type",
            "seller_account",
            "private",
            "abroad",
            "confirmation_minutes",
            "market_orders",
            "collateral_mode",
            "currency",
            "criteria_check",
            "criteria",
            "investor_data",
            "accepted_register_on",
            "satisfied_register_on",
            "settlement_org",
            "settlement_org_name",
            "other_conditions",
        ):
            getattr(self, name).data = getattr(sub, name)
        self.ccp.data = "1" if sub.ccp else "0"
        self.investor_items.data = sub.items
        for prefix, moment in (
            ("accept_from", sub.accept_from),
            ("accept_to", sub.accept_to),
            ("activation", sub.activation_at),
            ("deal", sub.deal_at),
            ("settlement", sub.settlement_at),
            ("collateral", sub.collateral_at),
        ):
            if moment is not None:
                getattr(self, f"{prefix}_date").data = local(moment).date()
                getattr(self, f"{prefix}_time").data = local(moment).time()


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=4000)])


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Решение"),
        choices=choices([("approve", _l("провести подписку")), ("refuse", _l("отказать"))]),
        validators=[required(_l("Выберите решение."))],
    )
    note = TextAreaField(_l("Обоснование"), validators=[Optional(), Length(max=4000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() stops the field's own validators on an empty note, so the refusal's reason is
        # checked here.
        if self.decision.data == "refuse" and not (self.note.data or "").strip():
            self.note.errors = list(self.note.errors) + [_l("Укажите причину отказа.")]
            return False
        return valid


class PriceForm(FlaskForm):
    price = DecimalField(
        _l("Цена для расчета количества по рыночным заявкам"),
        places=4,
        validators=[required(), NumberRange(min=0.0001, message=_l("Цена должна быть больше нуля."))],
    )


class ChangeForm(FlaskForm):
    request_text = TextAreaField(_l("Письменная просьба продавца"), validators=[required(), Length(max=4000)])
    accept_from_date = DateField(_l("Новая дата начала приема заявок"), validators=[Optional()])
    accept_to_date = DateField(_l("Новая дата окончания приема заявок"), validators=[Optional()])
    price = DecimalField(_l("Новая цена"), places=4, validators=[Optional()])
    other_conditions = TextAreaField(_l("Иные условия"), validators=[Optional(), Length(max=4000)])


class OrderForm(FlaskForm):
    account = SelectField(_l("Торгово-клиринговый счет"), validators=[required(_l("Выберите счет."))])
    window = SelectField(_l("Окно приема заявок"), choices=[], validators=[Optional()], validate_choice=False)
    kind = RadioField(
        _l("Вид заявки"),
        choices=choices([("limit", _l("лимитированная")), ("market", _l("рыночная"))]),
        default="limit",
        validators=[required()],
    )
    basis = RadioField(
        _l("Рыночная заявка на"),
        choices=choices([("quantity", _l("количество")), ("money", _l("объем в деньгах"))]),
        default="quantity",
        validators=[Optional()],
    )
    price = DecimalField(
        _l("Цена"),
        places=4,
        validators=[Optional(), NumberRange(min=0.0001, message=_l("Цена должна быть больше нуля."))],
    )
    yield_rate = DecimalField(
        _l("Доходность, % годовых"), places=4, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    quantity = IntegerField(
        _l("Количество"), validators=[Optional(), NumberRange(min=1, message=_l("Количество должно быть больше нуля."))]
    )
    money = DecimalField(_l("Объем в деньгах"), places=2, validators=[Optional(), NumberRange(min=0.01)])
    for_client = BooleanField(_l("За счет клиента (инвестора)"))
    investor_name = StringField(_l("Наименование (ФИО) инвестора"), validators=[Optional(), Length(max=255)])
    investor_id = StringField(
        _l("БИН/ИИН инвестора"), validators=[Optional(), Length(min=12, max=12, message=_l("12 цифр."))]
    )
    investor_resident = BooleanField(_l("Резидент Республики Казахстан"), default=True)
    investor_contacts = StringField(_l("Контакты инвестора"), validators=[Optional(), Length(max=255)])
    investor_other = StringField(_l("Иные сведения об инвесторе"), validators=[Optional(), Length(max=500)])
    qualified = BooleanField(_l("Квалифицированный инвестор"))
    omnibus = BooleanField(_l("Агрегированный (омнибус) счет: сведения об инвесторах после окончания приема"))
    consent = BooleanField(_l("Подтверждаю согласие инвестора на раскрытие сведений о нем продавцу и эмитенту"))

    def order_fields(self, accounts: dict) -> dict:
        data = {name: getattr(self, name).data for name in (*ORDER_FIELDS, "consent")}
        data["account"] = accounts.get(self.account.data)
        for text in ("investor_name", "investor_id", "investor_contacts", "investor_other"):
            data[text] = (data[text] or "").strip()
        if data["kind"] == "market":
            data["price"] = data["yield_rate"] = None
            if data["basis"] == "money":
                data["quantity"] = None
            else:
                data["money"] = None
        else:
            data["basis"], data["money"] = "quantity", None
        return data

    def applies(self, sub) -> dict[str, bool]:
        """Which fields the order's kind and account call for: the market-order fields for a market order, the
        investor's for a client's order (S-4, S-7). The page shows only these."""
        market = self.kind.data == "market" and sub.market_orders
        by_money = market and self.basis.data == "money"
        client = bool(self.for_client.data)
        return {
            "basis": market,
            "price": not market,
            "yield_rate": not market and sub.is_debt,
            "quantity": not by_money,
            "money": by_money,
            "investor": client,
            "qualified": client and sub.private,
            "consent": client and sub.investor_data,
        }

    def require_applicable(self, sub, windows=()) -> bool:
        """What the chosen kind calls for is required (a limit order's price, its quantity or money, the window
        where the subscription has windows), said with the form's own errors at once (issue 15), in the words
        the service uses. True when nothing was missing."""
        from flask_babel import gettext as _

        applies = self.applies(sub)
        missing = []
        if applies["price"] and self.price.data is None:
            missing.append((self.price, _("Укажите цену больше нуля.")))
        if applies["quantity"] and self.quantity.data is None:
            missing.append((self.quantity, _("Укажите количество больше нуля.")))
        if applies["money"] and self.money.data is None:
            missing.append((self.money, _("Укажите объем заявки в деньгах больше нуля.")))
        if windows and not self.window.data:
            missing.append((self.window, _("Выберите окно приема заявок.")))
        for field, message in missing:
            if not field.errors:
                field.errors = [*field.errors, message]
        return not missing

    def page_fields(self, accounts: dict, sub) -> dict:
        """``order_fields`` from the page: what the chosen kind and account leave hidden is not taken."""
        data = self.order_fields(accounts)
        data["window"] = self.window.data or None
        if not data["for_client"]:
            for text in ("investor_name", "investor_id", "investor_contacts", "investor_other"):
                data[text] = ""
            data["qualified"] = data["omnibus"] = False
            data["investor_resident"] = True
        elif not sub.private:
            data["qualified"] = False
        return data


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Причина"), validators=[required(_l("Укажите причину.")), Length(max=1000)])


class AccountForm(FlaskForm):
    organisation = SelectField(_l("Член Биржи"), validators=[required()])
    code = StringField(_l("Код счета"), validators=[required(), Length(max=32)])
    currency = SelectField(_l("Валюта"), choices=choices([("KZT", "KZT"), ("USD", "USD")]))
    balance = DecimalField(_l("Остаток денег"), places=2, validators=[required(), NumberRange(min=0)])
    controller = SelectField(_l("Пользователь системы контроля и обеспечения"), validators=[Optional()])


class OrderFileForm(FlaskForm):
    """Many orders at once: a CSV or XLSX file, one order a row (issue #17)."""

    file = FileField(_l("Файл заявок (CSV или XLSX)"), validators=[FileRequired(_l("Приложите файл."))])
    take_valid = BooleanField(_l("Если в файле есть ошибки, подать заявки из строк без ошибок"))


class WindowForm(FlaskForm):
    """A separate acceptance window (issue #17), in Almaty time."""

    name = StringField(_l("Название окна"), validators=[required(), Length(max=64)])
    from_date = DateField(_l("Дата начала приема в окне"), validators=[required()])
    from_time = TimeField(_l("Время начала"), validators=[required()], default=datetime.time(10, 0))
    to_date = DateField(_l("Дата окончания приема в окне"), validators=[required()])
    to_time = TimeField(_l("Время окончания"), validators=[required()], default=datetime.time(16, 0))
    min_amount = DecimalField(
        _l("Минимальный размер заявки в окне"),
        places=2,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательным."))],
    )


# --- registers ---------------------------------------------------------------------------------------------


class ProposalForm(FlaskForm):
    method = RadioField(
        _l("Способ распределения"),
        choices=choices(METHODS.items()),
        default="prorata",
        validators=[DataRequired(_l("Выберите способ распределения."))],
    )
    cutoff = DecimalField(
        _l("Цена отсечения (для облигаций — доходность отсечения, % годовых)"),
        places=4,
        validators=[Optional(), NumberRange(min=0, message=_l("Не может быть отрицательной."))],
    )
    threshold = IntegerField(
        _l("Порог полного удовлетворения, шт."),
        validators=[Optional(), NumberRange(min=1, message=_l("Порог должен быть больше нуля."))],
    )
    format = RadioField(
        _l("Формат"), choices=choices([("xlsx", "XLSX"), ("xml", "XML")]), default="xlsx", validators=[Optional()]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.method.data == "cutoff" and self.cutoff.data is None:
            self.cutoff.errors = list(self.cutoff.errors) + [_l("Укажите цену (доходность) отсечения.")]
            return False
        if self.method.data == "threshold" and not self.threshold.data:
            self.threshold.errors = list(self.threshold.errors) + [_l("Укажите порог полного удовлетворения.")]
            return False
        return valid


class UploadForm(FlaskForm):
    file = FileField(
        _l("Файл реестра удовлетворенных заявок (XLSX или XML)"), validators=[FileRequired(_l("Приложите файл."))]
    )


class CallOffForm(FlaskForm):
    reason = TextAreaField(
        _l("Причина отказа от проведения подписки"),
        validators=[DataRequired(_l("Укажите причину отказа от проведения подписки.")), Length(max=4000)],
    )
    letter = FileField(_l("Письмо продавца (PDF, необязательно)"))

    def validate_letter(self, field):
        self.letter_bytes = None
        if field.data and getattr(field.data, "filename", ""):
            data = field.data.read()
            if data:
                if sniff(data) != "pdf":
                    from wtforms.validators import ValidationError

                    raise ValidationError(_l("Письмо прикладывается в формате PDF (проверяется содержимое файла)."))
                self.letter_bytes = data
