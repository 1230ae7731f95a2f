"""Schemathesis hooks for tests/test_schemathesis.py: the two rules between values that OpenAPI 3.0 cannot state
(the document says them in words), so generated requests that break them are not sent as "valid":
a bbox's min < max, a tile's x and y below 2^z, and after (keyset paging) only without offset and another sort."""
import schemathesis


def _numbers(text):
    try:
        return [float(part) for part in str(text).split(",")]
    except ValueError:
        return None


@schemathesis.hook
def filter_query(context, query):
    query = query or {}
    bbox = _numbers(query.get("bbox", "")) if "bbox" in query else None
    if bbox and len(bbox) == 4 and (bbox[0] >= bbox[2] or bbox[1] >= bbox[3]):
        return False
    return "after" not in query or (str(query.get("offset", 0)) in ("0", "") and
                                    str(query.get("sort", "project_id")).strip() in ("project_id", ""))


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    z, x, y = (path_parameters or {}).get("z"), (path_parameters or {}).get("x"), (path_parameters or {}).get("y")
    if all(isinstance(value, int) and not isinstance(value, bool) for value in (z, x, y)) and 0 <= z <= 30:
        return x < 2 ** z and y < 2 ** z
    return True
