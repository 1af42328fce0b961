"""veridian_ipc.docs: the documentation site, generated from the code.

Nothing on the site is written twice: every page is generated from the
project's own registries when the site is built, so it follows the spec as
it changes.

- ``facts``: what the pages are made of, read from the code: the chapters in
  the spec's reading order, each rule's operations, seed sections and
  traceability (proof obligations, behaviours, mutants, regression vectors).
- ``explore``: runs ``spec.step`` over the proofs' small scopes, breadth
  first, for the shortest worked example of each rule and the lifecycle
  transitions of each kind of object.
- ``text``: Markdown helpers (rule IDs become links, signatures, tables).
- ``pages_rules``: one chapter page per spec module: its docstring, then
  each rule with its anchor, signature, result, prose, errors, seed
  sections, examples, traceability and folded code.
- ``pages_reference``: errors, limits, rights, invariants, lifecycles, the
  seed map and register, the traceability matrix, the protocol and formats.
- ``diagrams``: lifecycle state diagrams (Graphviz SVG, else Mermaid).
- ``site``: writes the pages and ``mkdocs.yml`` into a build directory and
  runs MkDocs (the ``docs`` extra); ``command``: ``veridian-ipc docs``.

The hand-written pages (the home page) are in ``pages/``.
"""
