"""Response shapes of materials (files)."""
from backend.core.schema import DATETIME, boolean, integer, list_of, nullable, obj, string

FILE = obj({
    "id": string(), "name": string(description="显示名称（扩展名取自实际类型）"),
    "content_type": string(enum=["image/jpeg", "image/png", "application/pdf"], description="按文件内容判定"),
    "kind": string(enum=["image", "pdf"]), "size_bytes": integer(minimum=1), "sha256": string(),
    "width": nullable(integer()), "height": nullable(integer()),
    "has_thumbnail": boolean(), "attached": boolean(description="已作为材料提交到办件"), "created_at": DATETIME,
}, ["id", "name", "content_type", "size_bytes", "sha256"])
FILES = list_of(FILE)
LIST_QUERY = obj({"cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=100)})
