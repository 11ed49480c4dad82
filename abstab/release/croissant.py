"""Croissant 1.0 metadata (JSON-LD) of a release: files with their sha256, one record set per
config, nested columns as sub-fields. Written without mlcroissant (an optional extra that the
tests and ``abstab validate`` use to check it)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from abstab import __version__
from abstab.release.layout import CONFIGS, CROISSANT, json_dumps
from abstab.release.licenses import known_licenses
from abstab.release.paths import sha256_file

# The JSON-LD context of Croissant 1.0 (as mlcroissant writes it).
CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs",
    "column": "cr:column", "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "sc": "https://schema.org/",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform", "samplingRate": "cr:samplingRate",
    "equivalentProperty": "cr:equivalentProperty",
}
_DATATYPES = [(pa.types.is_string, "sc:Text"), (pa.types.is_integer, "sc:Integer"),
              (pa.types.is_floating, "sc:Float"), (pa.types.is_boolean, "sc:Boolean")]


def _datatype(t: pa.DataType) -> str:
    for test, name in _DATATYPES:
        if test(t):
            return name
    raise ValueError(f"no Croissant data type for arrow type {t}")


def _field(f: pa.Field, rs: str, column: str, path: list[str], desc: str
           ) -> dict[str, Any] | None:
    """The Croissant field of an arrow field; None for a list of structs inside a struct
    (``evidence.spans``), which Croissant readers cannot extract from parquet today."""
    fid = "/".join([rs, column, *path])
    out: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": f.name}
    if desc:
        out["description"] = desc
    t = f.type
    while pa.types.is_list(t):  # lists (of lists) of X: X, repeated
        out["repeated"] = True
        t = t.value_type
    if pa.types.is_struct(t):
        if path and out.get("repeated"):
            return None
        subs = [_field(t.field(i), rs, column, [*path, t.field(i).name], "")
                for i in range(t.num_fields)]
        out["subField"] = [s for s in subs if s is not None]
        skipped = [t.field(i).name for i, s in enumerate(subs) if s is None]
        if skipped:
            out["description"] = (desc + " " if desc else "") + (
                f"(sub-field(s) {', '.join(skipped)} are in the parquet column only)")
        return out
    out["dataType"] = _datatype(t)
    source: dict[str, Any] = {"fileSet": {"@id": f"{rs}-parquet"}, "extract": {"column": column}}
    if path:
        source["transform"] = {"jsonPath": ".".join(path)}
    out["source"] = source
    return out


def croissant(root: Path, name: str, stats: dict[str, Any], files: dict[str, list[str]],
              url: str | None = None, cite_as: str | None = None) -> dict[str, Any]:
    """The release's Croissant metadata. ``url`` (the dataset's home page or Hub repository)
    is left out when unknown rather than made up; ``cite_as`` is the card's BibTeX."""
    licenses = known_licenses()
    urls = sorted({licenses[s["license"]].url or s["license"] for s in stats["sources"].values()})
    distribution: list[dict[str, Any]] = []
    record_sets = []
    for cname, rels in files.items():
        if not rels:
            continue
        for rel in rels:
            distribution.append({"@type": "cr:FileObject", "@id": rel, "name": rel,
                                 "contentUrl": rel, "encodingFormat": "application/x-parquet",
                                 "sha256": sha256_file(root / rel)})
        distribution.append({"@type": "cr:FileSet", "@id": f"{cname}-parquet",
                             "name": f"{cname}-parquet", "includes": f"{cname}/*.parquet",
                             "encodingFormat": "application/x-parquet"})
        cfg = CONFIGS[cname]
        desc = cfg.descriptions()
        record_sets.append({
            "@type": "cr:RecordSet", "@id": cname, "name": cname,
            "description": f"the `{cname}` config (one row per {cfg.record.replace('_', ' ')})",
            "key": {"@id": f"{cname}/{cfg.key}"},
            "field": [_field(f, cname, f.name, [], desc.get(f.name, ""))
                      for f in cfg.arrow_schema]})  # top-level fields are never None
    pdfs = sorted(p.relative_to(root).as_posix() for p in (root / "pdfs").glob("*.pdf"))
    if pdfs:
        distribution.append({"@type": "cr:FileSet", "@id": "pdfs", "name": "pdfs",
                             "includes": "pdfs/*.pdf", "encodingFormat": "application/pdf",
                             "description": "the source PDFs whose license allows it"})
    meta: dict[str, Any] = {
        "@context": CONTEXT, "@type": "sc:Dataset", "name": name,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "description": (f"QA over report tables with abstract headers: {stats['items']} items, "
                        f"{stats['documents']} documents; made with abstab {__version__}."),
        "license": urls[0] if len(urls) == 1 else urls,
        "version": "1.0.0",
        "datePublished": _dt.date.today().isoformat(),
        "citeAs": cite_as or f"{name}, made with abstab {__version__}",
        "keywords": ["tables", "abstract headers", "question answering", "documents"],
        "distribution": distribution,
        "recordSet": record_sets,
    }
    if url:
        meta["url"] = url
    return meta


def write_croissant(root: Path, name: str, stats: dict[str, Any], files: dict[str, list[str]],
                    url: str | None = None, cite_as: str | None = None) -> None:
    (root / CROISSANT).write_text(json_dumps(croissant(root, name, stats, files, url, cite_as)))
