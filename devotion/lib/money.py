"""Money: amounts with their currency, formatted per currency and locale, and converted into
the business's reporting currency with the rates it supplies.

No Django here: the settings pass the reporting currency, the rates and the locale in.
Amounts stored without a currency are taken to be in the reporting currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

DEFAULT_LOCALE = "en_US"


class MoneyError(ValueError):
    """A currency code, rate or locale we cannot use, with what is wrong."""


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_code(text: str) -> str:
    """An ISO 4217 code, upper-cased; raises :class:`MoneyError` for anything else.

    >>> currency_code(" eur ")
    'EUR'
    >>> currency_code("EURO")
    Traceback (most recent call last):
    ...
    devotion.lib.money.MoneyError: 'EURO' is not an ISO 4217 currency code (e.g. USD, EUR, JPY)
    """
    code = text.strip().upper()
    if code not in _known_currencies():
        raise MoneyError(f"{text!r} is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")
    return code


def locale_name(text: str) -> str:
    """A locale Babel knows ("en_US", "de_DE", "fr"); "en-us" is read as "en_US".

    >>> locale_name("en-us"), locale_name("de_DE")
    ('en_US', 'de_DE')
    """
    try:
        return str(Locale.parse(text.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise MoneyError(f"{text!r} is not a locale (e.g. en_US, de_DE, fr_FR)") from None


def decimals(currency: str) -> int:
    """How many decimals the currency uses.

    >>> decimals("USD"), decimals("JPY"), decimals("KWD")
    (2, 0, 3)
    """
    return int(get_currency_precision(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly the currency's decimals (as the API writes amounts).

    >>> rounded(Decimal("5000.00"), "JPY"), rounded(Decimal("100"), "EUR")
    (Decimal('5000'), Decimal('100.00'))
    """
    return amount.quantize(Decimal(1).scaleb(-decimals(currency)))


def format_money(
    amount: Decimal | int | float | str | None,
    currency: str,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """The amount in its currency, with that currency's decimals, as the locale writes it.

    >>> format_money(Decimal("1234.5"), "USD")
    '$1,234.50'
    >>> format_money(5000, "JPY"), format_money(Decimal("100"), "EUR")
    ('¥5,000', '€100.00')
    >>> format_money(Decimal("1234.5"), "EUR", "de_DE")
    '1.234,50\\xa0€'
    >>> format_money(None, "USD")
    ''
    """
    if amount is None or amount == "":
        return ""
    return str(format_currency(Decimal(amount), currency, locale=locale, currency_digits=True))


def format_money_whole(
    amount: Decimal | int | float | str | None,
    currency: str,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """An estimate in whole units of its currency, as the locale writes money (a lifetime
    value of $1,234.56 is "$1,235": its cents are not known).

    >>> format_money_whole(Decimal("1234.56"), "USD"), format_money_whole(640, "EUR", "de_DE")
    ('$1,235', '640\xa0€')
    """
    if amount is None or amount == "":
        return ""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    whole = pattern.replace(".00", "").replace(",00", "")
    value = Decimal(amount).quantize(Decimal(1))
    return str(format_currency(value, currency, locale=locale, format=whole, currency_digits=False))


def parse_rates(text: str, reporting: str) -> dict[str, Decimal]:
    """Rates from ``"EUR=1.08,JPY=0.0067"``: what one unit of each currency is worth in the
    reporting currency. Raises :class:`MoneyError` naming the item that is wrong.

    >>> parse_rates("EUR=1.08, jpy=0.0067", "USD")
    {'EUR': Decimal('1.08'), 'JPY': Decimal('0.0067')}
    >>> parse_rates("", "USD")
    {}
    >>> parse_rates("EUR=0", "USD")
    Traceback (most recent call last):
    ...
    devotion.lib.money.MoneyError: rate 'EUR=0' must be a number above 0
    >>> parse_rates("EUR:1.08", "USD")
    Traceback (most recent call last):
    ...
    devotion.lib.money.MoneyError: rate 'EUR:1.08' is not CODE=RATE, e.g. EUR=1.08
    """
    rates: dict[str, Decimal] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        code, sep, raw = item.partition("=")
        if not sep:
            raise MoneyError(f"rate {item!r} is not CODE=RATE, e.g. EUR=1.08")
        code = currency_code(code)
        try:
            rate = Decimal(raw.strip())
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            raise MoneyError(f"rate {item!r} must be a number above 0")
        if code == reporting:
            raise MoneyError(f"rate {item!r} is for the reporting currency itself")
        if code in rates:
            raise MoneyError(f"rate {item!r}: {code} is given twice")
        rates[code] = rate
    return rates


def convert(
    amount: Decimal, currency: str, reporting: str, rates: Mapping[str, Decimal]
) -> Decimal | None:
    """The amount in the reporting currency, rounded to its decimals; None without a rate.

    >>> convert(Decimal("100"), "EUR", "USD", {"EUR": Decimal("1.08")})
    Decimal('108.00')
    >>> convert(Decimal("5000"), "JPY", "USD", {}) is None
    True
    """
    currency = currency or reporting
    if currency == reporting:
        return amount
    rate = rates.get(currency)
    if rate is None:
        return None
    return (amount * rate).quantize(Decimal(1).scaleb(-decimals(reporting)))


def total_in(
    totals: Iterable[tuple[str, Decimal]], reporting: str, rates: Mapping[str, Decimal]
) -> Decimal | None:
    """The sum of per-currency totals in the reporting currency, or None when a currency has
    no rate (a made-up number would be worse than none).

    >>> rates = {"EUR": Decimal("1.08"), "JPY": Decimal("0.0067")}
    >>> spent = [("USD", Decimal(54)), ("EUR", Decimal(100)), ("JPY", Decimal(5000))]
    >>> total_in(spent, "USD", rates)
    Decimal('195.50')
    >>> total_in([("USD", Decimal(54)), ("GBP", Decimal(1))], "USD", rates) is None
    True
    """
    total = Decimal(0)
    for currency, amount in totals:
        converted = convert(amount, currency, reporting, rates)
        if converted is None:
            return None
        total += converted
    return total
