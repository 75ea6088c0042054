"""The errors of uploaded materials: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import InvalidInput, PayloadTooLarge


class UnsupportedFileType(InvalidInput):
    code = "unsupported_file_type"
    message = "只能上传 JPG、PNG 图片或 PDF 文件"


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    message = "文件过大，单个文件不能超过 10 MB"


ALL = (UnsupportedFileType, FileTooLarge,)
