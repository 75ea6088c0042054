"""The errors of identity (residents' accounts, real names, who may see them): each a class with its
HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, Forbidden, InvalidInput


class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = "账号已停用，请联系政务服务中心"


class RealnameMismatch(InvalidInput):
    code = "realname_mismatch"
    message = "姓名与身份证号不一致，请核对后重试"


class RealnameAlreadyBound(Conflict):
    code = "realname_already_bound"
    message = "账号已完成实名认证，不能更换身份证号"


class IdNumberAlreadyBound(Conflict):
    code = "id_number_already_bound"
    message = "该身份证号已绑定其他微信账号；如非本人绑定，请携带居民身份证到政务服务大厅窗口办理实名找回"


class FaceVerificationRequired(Forbidden):
    """No passing, fresh, unused face verification of this person by this WeChat account
    (``details.reason`` says which: missing, invalid, failed, other_account, mismatch, stale, used,
    needed)."""
    code = "face_verification_required"
    message = "请先完成人脸核身"


class NothingToReclaim(Conflict):
    """A reclaim at the window of an ID number no account holds (the resident binds it themselves)."""
    code = "nothing_to_reclaim"
    message = "该身份证号未被其他账号绑定，居民可直接在小程序中完成实名认证"


class NotHandling(Forbidden):
    """Identity reveal: the staff member has acted on no open case or live booking of this
    resident, and the resident is not at their hall today."""
    code = "not_handling"
    message = "只能查看您经手办理的办件、预约所涉居民，或今天正在您大厅现场办事的居民的完整身份信息"


ALL = (AccountDisabled, RealnameMismatch, RealnameAlreadyBound, IdNumberAlreadyBound, NotHandling,
       FaceVerificationRequired, NothingToReclaim)
