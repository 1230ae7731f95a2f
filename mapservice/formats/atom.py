"""The Atom feed of the projects added, changed or removed (per area), with feedgen. Every text arrives translated
(the web's job); this module only writes the XML."""
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator


def _aware(text):
    """An ISO time of ours ("2026-12-07T00:30:00Z", UTC) as an aware datetime."""
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def build_feed(feed_id, title, subtitle, self_url, page_url, language, author, entries, updated=None):
    """Atom 1.0 XML (bytes). ``entries``: dicts with id (a URL or tag URI), title, link, summary, at (ISO UTC),
    newest first; ``updated``: the feed's time when it has no entry."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.subtitle(subtitle)
    feed.language(language)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.author({"name": author})
    feed.updated(_aware(entries[0]["at"]) if entries else updated or datetime.now(UTC))
    for item in reversed(entries):  # feedgen puts each new entry first
        entry = feed.add_entry()
        entry.id(item["id"])
        entry.title(item["title"])
        entry.link(href=item["link"], rel="alternate", type="text/html")
        entry.summary(item["summary"])
        entry.updated(_aware(item["at"]))
        entry.published(_aware(item["at"]))
    return feed.atom_str(pretty=True)
