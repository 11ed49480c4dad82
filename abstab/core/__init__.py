"""The core floor: domain logic every layer above shares, written once and imported from here.

- :mod:`.words`: how common a word is (``zipf``, ``COMMON_WORD_ZIPF``), content words, the
  fill-in blank;
- :mod:`.headers` and :mod:`.expand`: is a header abstract and in which style (``classify``,
  ``core_text``), and what an abbreviated header reads as;
- :mod:`.normalize`: numbers and answers (``parse_number``, ``normalize_answer``; ``squash``,
  which lives in :mod:`abstab.text` so that the records use it too);
- :mod:`.abstract`: controlled abstraction, for the report and the dataset paths alike: the
  styles (``ABSTRACTORS``, ``code_for``), the legends and what each makes of an item
  (``LEGENDS``, ``keyword_link``), ``relabel`` and ``abstract_column``;
- :mod:`.questions`: question types (one ``QuestionKind`` class each: execution on a table,
  wording, its rule in the LLM generate prompt), difficulty;
- :mod:`.seeded`: seeded picking (``seeded_order``, ``seeded_int``), every choice a seed decides;
- :mod:`.serialize`: the one table serializer with named styles (``serialize``);
- :mod:`.grounding`: is an item's gold answer where the item says it is.

The floors of ``abstab/``, bottom to top. A room (a subpackage or a top-level module) imports
rooms of its own floor or below, never above, and no two files or rooms import each other,
also through imports inside functions (``tests/test_layering.py`` reads the graph and fails on
a cycle or an upward import, naming it):

1. ``abstab`` (``__version__``), ``errors``, ``schemas``, ``text`` (``squash``)
2. ``registry``, ``records``
3. ``sources``, ``jsonl`` (JSON Lines and state files on disk)
4. ``config``, ``store``, ``decisions`` (the review's decisions, which stages read)
5. ``backends`` (the contract every backend subclasses)
6. ``core``
7. ``extract``, ``embed``, ``retrieval``, ``executors``, ``synth``
8. ``llm``
9. ``rules``
10. ``stages``
11. ``release``
12. ``bench``, ``review``
13. ``export``, ``api`` (the Python API the CLI calls)
14. ``cli``, ``__main__``

The registry's lazy ``"module:attr"`` targets are not imports: ``registry`` names stages and
engines without loading them.
"""
