"""The shapes of the two payment ids. Both end up in PortOne URL paths (`payments/{imp_uid}`,
`payments/find/{merchant_uid}`), so anything else is refused before a URL is built: a value such as
`prepare/stk_...` or `../users/getToken` would otherwise make this server call another endpoint."""

import re
import uuid

# PortOne V1 issues `imp_` and a run of digits (12 today). ASCII digits only, whole string only:
# `\d` admits other scripts' digits and `$` a trailing newline.
IMP_UID_PATTERN = r"^imp_[0-9]{1,60}$"
# What payment_prepare generates: `stk_` and a uuid4 in hex.
MERCHANT_UID_PATTERN = r"^stk_[0-9a-f]{32}$"

_IMP_UID = re.compile(r"imp_[0-9]{1,60}")
_MERCHANT_UID = re.compile(r"stk_[0-9a-f]{32}")


def new_merchant_uid() -> str:
    return f"stk_{uuid.uuid4().hex}"


def is_imp_uid(value: object) -> bool:
    return isinstance(value, str) and _IMP_UID.fullmatch(value) is not None


def is_merchant_uid(value: object) -> bool:
    return isinstance(value, str) and _MERCHANT_UID.fullmatch(value) is not None
