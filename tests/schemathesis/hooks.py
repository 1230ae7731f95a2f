"""Schemathesis hooks for tests/test_schemathesis.py: the two rules between values that OpenAPI 3.0 cannot state
(the document says them in words), so generated requests that break them are not sent as "valid":
a bbox's min < max, and a tile's x and y below 2^z."""
import schemathesis


def _numbers(text):
    try:
        return [float(part) for part in str(text).split(",")]
    except ValueError:
        return None


@schemathesis.hook
def filter_query(context, query):
    bbox = _numbers((query or {}).get("bbox", "")) if "bbox" in (query or {}) else None
    return not (bbox and len(bbox) == 4 and (bbox[0] >= bbox[2] or bbox[1] >= bbox[3]))


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    z, x, y = (path_parameters or {}).get("z"), (path_parameters or {}).get("x"), (path_parameters or {}).get("y")
    if all(isinstance(value, int) and not isinstance(value, bool) for value in (z, x, y)) and 0 <= z <= 30:
        return x < 2 ** z and y < 2 ** z
    return True
