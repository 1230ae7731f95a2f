"""The data-quality report: join status and precision counts, conflicts, unmatched rows, flags, rejected rows."""
import sqlalchemy as sa

from mapservice.store.models import AdminArea, ImportBatch, Project

EXAMPLES = 50  # rows listed per section; the counts are always complete


def build_quality_report(session):
    """Return the report as a JSON-ready dict."""
    p = Project
    total = session.scalar(sa.select(sa.func.count()).select_from(p)) or 0
    return {
        "projects": total,
        "sample_projects": session.scalar(sa.select(sa.func.count()).where(p.is_sample.is_(True))) or 0,
        "by_join_status": _counts_with_money(session, p.join_status),
        "by_location_precision": _counts_with_money(session, p.location_precision),
        "conflicts": _conflicts(session),
        "unmatched": _unmatched(session),
        "flags": _flags(session),
        "batches": _batches(session),
    }


def _counts_with_money(session, column):
    rows = session.execute(sa.select(column, sa.func.count(), sa.func.coalesce(sa.func.sum(Project.expenditure), 0))
                           .group_by(column).order_by(column)).all()
    return {str(key): {"projects": count, "expenditure": int(money)} for key, count, money in rows}


def _conflicts(session):
    stated, located = sa.orm.aliased(AdminArea), sa.orm.aliased(AdminArea)
    query = (sa.select(Project.project_id, Project.commune_code, stated.name_en, Project.point_code, located.name_en,
                       Project.lon, Project.lat)
             .join(stated, stated.code == Project.commune_code)
             .outerjoin(located, located.code == Project.point_code)
             .where(Project.join_status == "conflict").order_by(Project.project_id))
    count = session.scalar(sa.select(sa.func.count()).where(Project.join_status == "conflict"))
    rows = [{"project_id": r[0], "stated_commune": r[1], "stated_commune_name": r[2],
             "point_commune": r[3], "point_commune_name": r[4], "lon": r[5], "lat": r[6]}
            for r in session.execute(query.limit(EXAMPLES))]
    return {"count": count, "rows": rows}


def _unmatched(session):
    condition = Project.join_status == "unmatched"
    count = session.scalar(sa.select(sa.func.count()).where(condition))
    rows = session.execute(sa.select(Project.project_id, Project.lon, Project.lat)
                           .where(condition).order_by(Project.project_id).limit(EXAMPLES))
    return {"count": count, "rows": [{"project_id": r[0], "lon": r[1], "lat": r[2]} for r in rows]}


def _flags(session):
    rows = session.execute(sa.select(Project.project_id, Project.quality_flags)
                           .where(Project.quality_flags.is_not(None)).order_by(Project.project_id))
    flags = {}
    for project_id, text in rows:
        for flag in text.split(","):
            entry = flags.setdefault(flag, {"count": 0, "examples": []})
            entry["count"] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append(project_id)
    return dict(sorted(flags.items()))


def _batches(session):
    batches = session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id)).all()
    return [{"id": b.id, "source_file": b.source_file, "format": b.source_format, "sha256": b.sha256,
             "imported_at": b.imported_at.isoformat(timespec="seconds"), "rows_read": b.rows_read,
             "rows_loaded": b.rows_loaded, "rows_rejected": b.rows_rejected, "sample": b.is_sample,
             "rejected_rows": b.rejected_rows[:EXAMPLES]} for b in batches]


def format_quality_report(report):
    """Plain-text rendering for the terminal."""
    lines = [f"Projects: {report['projects']:,} ({report['sample_projects']:,} sample)", "", "By join status:"]
    lines += [f"  {k:<12} {v['projects']:>9,} projects  {v['expenditure']:>22,} riel spent"
              for k, v in report["by_join_status"].items()]
    lines += ["", "By location precision:"]
    lines += [f"  {k:<12} {v['projects']:>9,} projects" for k, v in report["by_location_precision"].items()]
    lines += ["", f"Conflicts (stated commune keeps the money): {report['conflicts']['count']:,}"]
    lines += [f"  {r['project_id']}: stated {r['stated_commune']} {r['stated_commune_name']}, point in "
              f"{r['point_commune'] or 'no commune'} {r['point_commune_name'] or ''}".rstrip()
              for r in report["conflicts"]["rows"][:10]]
    lines += ["", f"Unmatched (point outside every commune, no code): {report['unmatched']['count']:,}"]
    lines += [f"  {r['project_id']}: ({r['lon']}, {r['lat']})" for r in report["unmatched"]["rows"][:10]]
    lines += ["", "Plausibility flags:"] + [f"  {k:<32} {v['count']:>7,}" for k, v in report["flags"].items()]
    lines += ["", "Import batches:"]
    lines += [f"  #{b['id']} {b['source_file']} ({b['format']}): {b['rows_loaded']:,} loaded, "
              f"{b['rows_rejected']:,} rejected" for b in report["batches"]]
    for batch in report["batches"]:
        lines += [f"    line {r['line']}: {r['reason']}" for r in batch["rejected_rows"][:10]]
    return "\n".join(lines)
