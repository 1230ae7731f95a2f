"""What a draft holds and what publishing it would change, the version history, and the public list of changes:
``draft_report`` (rows, columns, structured reasons per line), ``draft_diff`` (new, changed field by field, removed;
totals per district and province before and after), ``draft_preview_geojson`` (the draft's projects with code/point
conflicts marked), ``versions``, ``changes`` (projects added, changed or removed per area, newest first)."""
import json

import sqlalchemy as sa

from mapservice.store import history
from mapservice.store.models import AdminArea, Draft, Project, ProjectChange, VersionRecord

TOTAL_COLUMNS = ("budget", "contract_value", "expenditure")
DIFF_IGNORED = history.BOOKKEEPING | {"is_sample"}
LEVEL_DIGITS = {"province": 2, "district": 4, "commune": 6}


class DraftMissing(LookupError):
    """No draft of that id."""


def _draft(session, draft_id):
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise DraftMissing(f"there is no draft {draft_id}")
    return draft


def _at(value):
    return value.isoformat(timespec="seconds") + "Z" if value else None


def draft_summary(draft):
    """A draft's record (no rows): id, owner, dates, file, checksum, status, counts."""
    report = draft.report or {}
    return {"id": draft.id, "owner": draft.owner, "created_at": _at(draft.created_at), "kind": draft.kind,
            "source_file": draft.source_file, "source_format": draft.source_format, "sha256": draft.sha256,
            "base_version": draft.base_version, "status": draft.status, "decided_at": _at(draft.decided_at),
            "decided_by": draft.decided_by, "version_id": draft.version_id, "mode": report.get("mode", "merge"),
            "rows_read": report.get("rows_read", 0), "rows_valid": report.get("rows_valid", 0),
            "rows_rejected": report.get("rows_rejected", 0)}


def draft_report(session, draft_id):
    """The check of a draft: its summary, the columns the file filled, the join statuses, and per rejected line its
    reasons (column, code, params, English text)."""
    draft = _draft(session, draft_id)
    report = draft.report or {}
    lines = {}
    for item in report.get("rejected", []):
        lines.setdefault(item["line"], {"line": item["line"], "project_id": item.get("project_id"), "reasons": []})
        lines[item["line"]]["reasons"].append({k: item.get(k) for k in ("column", "code", "params", "reason")})
    return {**draft_summary(draft), "columns": report.get("columns", []), "join_status": report.get("join_status", {}),
            "ignored_columns": report.get("ignored_columns", []), "rejected": [lines[line] for line in sorted(lines)]}


def _area_names(session, codes):
    codes = sorted({c for c in codes if c})
    rows = session.execute(sa.select(AdminArea.code, AdminArea.level, AdminArea.name_km, AdminArea.name_en)
                           .where(AdminArea.code.in_(codes))) if codes else []
    return {r.code: {"level": r.level, "name_km": r.name_km, "name_en": r.name_en} for r in rows}


def _stored_totals(session, level, codes):
    column = getattr(Project, f"{level}_code")
    query = (sa.select(column, sa.func.count(), *[sa.func.coalesce(sa.func.sum(getattr(Project, c)), 0)
                                                   for c in TOTAL_COLUMNS])
             .where(column.in_(codes)).group_by(column))
    return {row[0]: {"projects": row[1], **{c: int(v) for c, v in zip(TOTAL_COLUMNS, row[2:])}}
            for row in session.execute(query)}


def _add(totals, code, row, sign):
    entry = totals.setdefault(code, {"projects": 0, **dict.fromkeys(TOTAL_COLUMNS, 0)})
    entry["projects"] += sign
    for column in TOTAL_COLUMNS:
        entry[column] += sign * int(row.get(column) or 0)


def area_totals(session, stored, drafted):
    """Totals (projects, budget, contract value, expenditure) per district and province of the projects touched,
    before (as published) and after (the draft applied): ``stored`` the published rows the draft replaces or
    removes, ``drafted`` the draft's rows."""
    result = []
    for level in ("province", "district"):
        key = f"{level}_code"
        codes = sorted({r.get(key) for r in list(stored) + list(drafted) if r.get(key)})
        before = _stored_totals(session, level, codes)
        after = {code: dict(values) for code, values in before.items()}
        for row in stored:
            if row.get(key):
                _add(after, row[key], row, -1)
        for row in drafted:
            if row.get(key):
                _add(after, row[key], row, +1)
        names = _area_names(session, codes)
        empty = {"projects": 0, **dict.fromkeys(TOTAL_COLUMNS, 0)}
        result += [{"level": level, "code": code, **{k: names.get(code, {}).get(k) for k in ("name_km", "name_en")},
                    "before": before.get(code, empty), "after": after.get(code, empty)} for code in codes]
    return result


def draft_diff(session, draft_id):
    """Against the published data now: the draft's new projects, the changed ones (each field before and after),
    the removed ones (replace mode), unchanged count, and the totals per area before and after."""
    draft = _draft(session, draft_id)
    rows = draft.rows or []
    gone = history.others_of_district_years(session, rows, (draft.report or {}).get("mode", "merge"))
    stored = history.stored_rows(session, [r["project_id"] for r in rows] + gone)
    new, changed, unchanged = [], [], 0
    for row in rows:
        old = stored.get(row["project_id"])
        if old is None:
            new.append(_brief(row))
            continue
        fields = history.changed_fields(old, row, DIFF_IGNORED)
        if not fields:
            unchanged += 1
            continue
        changed.append({**_brief(row), "fields": [{"field": f, "before": old.get(f), "after": row.get(f)}
                                                  for f in fields]})
    removed = [_brief(stored[project_id]) for project_id in gone]
    touched = [stored[r["project_id"]] for r in rows if r["project_id"] in stored] + [stored[i] for i in gone]
    return {"draft": draft.id, "status": draft.status, "new": new, "changed": changed, "removed": removed,
            "unchanged": unchanged, "totals": area_totals(session, touched, rows)}


def _brief(row):
    return {k: row.get(k) for k in ("project_id", "title_km", "title_en", "fiscal_year", "province_code",
                                    "district_code", "commune_code")}


def draft_preview_geojson(session, draft_id):
    """The draft's projects as a GeoJSON FeatureCollection (text): a point per located project, null geometry for
    the others; ``conflict`` true where the stated commune and the point's commune disagree (join_status conflict,
    ``point_code`` the point's commune), ``change`` new | changed | unchanged against the published data."""
    draft = _draft(session, draft_id)
    rows = draft.rows or []
    stored = history.stored_rows(session, [r["project_id"] for r in rows])
    features = []
    for row in rows:
        old = stored.get(row["project_id"])
        change = "new" if old is None else "changed" if history.changed_fields(old, row, DIFF_IGNORED) else "unchanged"
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]} if row.get("lon") is not None else None
        properties = {k: row.get(k) for k in ("project_id", "title_km", "title_en", "sector", "fiscal_year",
                                              "budget", "stated_code", "commune_code", "point_code", "join_status",
                                              "location_precision")}
        features.append({"type": "Feature", "id": row["project_id"], "geometry": geometry,
                         "properties": {**properties, "conflict": row.get("join_status") == "conflict",
                                        "change": change}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def version_record(version):
    return {"id": version.id, "at": _at(version.at), "user": version.user_name, "action": version.action,
            "source_file": version.source_file, "sha256": version.sha256, "counts": version.counts or {},
            "detail": version.detail or {}, "data_version": version.data_version}


def versions(session, limit=None):
    """Every recorded version, newest first (who, when, how, file, checksum, counts)."""
    return [version_record(v) for v in history.versions(session, limit)]


def changes(session, area=None, limit=100):
    """The latest projects added, changed or removed (newest first), of one area (a province, district or commune
    code) or everywhere: the project's id, titles and area, what changed, the version's date and action. The
    baseline and rows only stored again (no field changed) are no changes."""
    query = (sa.select(ProjectChange, VersionRecord.at, VersionRecord.action)
             .join(VersionRecord, VersionRecord.id == ProjectChange.version_id)
             .where(VersionRecord.action != "baseline", ProjectChange.kind != "restored")
             .order_by(ProjectChange.id.desc()).limit(limit))
    if area:
        level = {2: "province", 4: "district", 6: "commune"}[len(area)]
        query = query.where(getattr(ProjectChange, f"{level}_code") == area)
    listed = session.execute(query).all()
    after = history.rows_after(session, [change for change, _at_, _action in listed])
    found = []
    for change, at, action in listed:
        row = after[change.id] or change.before or {}
        fields = history.changed_fields(None, row) if change.kind == "added" else change.fields or []
        found.append({"id": change.id, "version": change.version_id, "at": _at(at), "action": action,
                      "kind": change.kind, "fields": fields, **_brief(row),
                      **{f"{level}_code": getattr(change, f"{level}_code") for level in LEVEL_DIGITS}})
    names = _area_names(session, [c[f"{level}_code"] for c in found for level in LEVEL_DIGITS])
    for item in found:  # the names of the project's areas, for the page and the feed
        for level in LEVEL_DIGITS:
            name = names.get(item[f"{level}_code"], {})
            item[f"{level}_name_km"], item[f"{level}_name_en"] = name.get("name_km"), name.get("name_en")
    return found


def area_name(session, code):
    """{level, name_km, name_en} of a stored area, or None."""
    return _area_names(session, [code]).get(code)


def districts(session):
    """Every stored district (code, names), by code: the choices of the changes page."""
    return [{"code": r.code, "name_km": r.name_km, "name_en": r.name_en} for r in session.execute(
        sa.select(AdminArea.code, AdminArea.name_km, AdminArea.name_en).where(AdminArea.level == "district")
        .order_by(AdminArea.code))]
