"""Loaders on the real corpus, the real site pages of corpus-extra, and generated bad input."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from indexer.loaders import load_document
from indexer.passages import make_passages
from kb.errors import DocumentError

from .conftest import CORPUS, EXTRA

CODE_MARKERS = re.compile(r"import |<script|</?div|<style|\{lang\}|\$page|<!--|-->|\{#|\bconst |=>|\bcolor:")


def test_markdown_guide_structure() -> None:
    doc = load_document(CORPUS / "passez-a-l-action.md")
    titles = [(s.level, s.title) for s in doc.sections]
    assert (2, "Voici ce que vous pouvez faire:") in titles
    assert (3, "Vous êtes un bon orateur") in titles
    manifest = next(b for b in doc.blocks if b.text.startswith("Manifestez"))
    assert manifest.kind == "item"
    assert manifest.section == ("Voici ce que vous pouvez faire:",)
    assert manifest.text == "Manifestez : rejoignez une des manifestations ou organisez-en une vous-même."
    assert ("organisez-en une vous-même", "https://pauseai.info/organizing-a-protest") in [(l.text, l.url) for l in manifest.links]
    # A list item keeps its nested items; emphasis markers are gone.
    petitions = next(b for b in doc.blocks if b.text.startswith("Signez des pétitions"))
    assert "– Traité international sur l'IA" in petitions.text
    assert "**" not in "".join(b.text for b in doc.blocks)


def test_markdown_front_matter_and_catalogue_metadata() -> None:
    doc = load_document(CORPUS / "charte-des-valeurs.md", {"publisher": "Pause IA", "date": "2024-10-10"})
    assert doc.meta.id == "charte-des-valeurs"  # front matter slug
    assert doc.meta.title == "Charte des valeurs"
    assert doc.meta.publisher == "Pause IA"
    assert doc.meta.description == "Notre charte de valeurs chez Pause IA."
    values = [b for b in doc.blocks if b.section == ("Nos valeurs",) and b.kind == "item"]
    assert len(values) == 8 and values[1].text.startswith("2. Pause IA est une association pacifiste.")


def test_pdf_text_dossier_structure() -> None:
    doc = load_document(CORPUS / "amnesty-dossier-de-presse-ia-droits-humains.txt")
    levels = {s.title: s.level for s in doc.sections}
    assert levels["I. LES ATTEINTES AUX DROITS HUMAINS LIÉES À L'IA"] == 1
    assert levels["1. Surveillance généralisée et discriminatoire"] == 2
    assert levels["Une approche critique du « technosolutionnisme »"] == 3
    # Title block and subtitle, without a catalogue; the subtitle opens no section.
    assert doc.meta.title.startswith("SOMMET MONDIAL POUR L'ACTION SUR DOSSIER DE PRESSE AMNESTY INTERNATIONAL — Face aux menaces")
    assert doc.sections[0].title == "I. LES ATTEINTES AUX DROITS HUMAINS LIÉES À L'IA"
    assert doc.blocks[0].section == () and doc.blocks[0].text.startswith("Le retour de Donald Trump")
    text = "\n".join(b.text for b in doc.blocks)
    assert "Shutterstock" not in text and "](#)" not in text and "*partie I*" not in text
    assert "en particulier des personnes migrantes ou réfugiées." in text  # [text](#) kept as text
    contact = [b for b in doc.blocks if b.kind == "contact"]
    assert len(contact) == 1 and "shanryon@amnesty.fr" in contact[0].text
    bullets = [b for b in doc.blocks if b.section[-1:] == ("2. Des mesures essentielles à adopter",) and b.kind == "item"]
    assert len(bullets) == 5 and bullets[0].text.startswith("Proscrire formellement")


@pytest.mark.parametrize("path", sorted(EXTRA.glob("*.md")), ids=lambda p: p.name)
def test_corpus_extra_pages_load_without_code(path: Path) -> None:
    doc = load_document(path)
    passages = make_passages(doc)
    assert passages
    for p in passages:
        assert not CODE_MARKERS.search(p.text), (p.id, p.text[:200])
        assert "](" not in p.text and "**" not in p.text
    headings = re.findall(r"^#{1,6} +(.+)$", path.read_text(encoding="utf-8"), re.M)
    assert len(doc.sections) == len(headings)
    assert all(p.section for p in passages if p.position > 3) or not headings


def test_corpus_extra_details() -> None:
    soc = load_document(EXTRA / "pour-la-societe.md")
    links = [l for b in soc.blocks for l in b.links]
    assert any(l.url == "/fr/emploi-ia" and l.text == "marché de l'emploi" for l in links)  # {lang} filled in
    fin = load_document(EXTRA / "financements.md")
    table = next(b for b in fin.blocks if b.kind == "table")
    assert "Dons de particuliers : environ 55 %" in table.text
    assert not any("Notes de maintenance" in b.text for b in fin.blocks)  # HTML comment dropped
    wbw = load_document(EXTRA / "waitbutwhy1.md")
    text = " ".join(b.text for b in wbw.blocks)
    assert "((1))" not in text and "{(2)}" not in text and "cliquez sur les 2" not in text
    apostrophe = load_document(EXTRA / "pour-l'humanite.md")
    assert apostrophe.meta.id == "pour-l-humanite"


def test_html_loader(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        """<!doctype html><html><head><title>Aide</title><style>p{color:red}</style></head><body>
        <nav><a href="/">Accueil</a> menu</nav>
        <main><h1>Surveillance</h1><p>La <a href="https://ex.org/vsa">vidéosurveillance algorithmique</a> inquiète.</p>
        <script>var x = 1;</script><h2>Détails</h2><ul><li>Premier point<ul><li>sous-point</li></ul></li></ul>
        <!-- a comment --></main><footer>Pied de page</footer></body></html>""",
        encoding="utf-8",
    )
    doc = load_document(page)
    assert doc.meta.title == "Aide"
    assert [s.title for s in doc.sections] == ["Surveillance", "Détails"]
    assert [(b.section, b.text) for b in doc.blocks] == [
        (("Surveillance",), "La vidéosurveillance algorithmique inquiète."),
        (("Surveillance", "Détails"), "Premier point sous-point"),
    ]
    assert doc.blocks[0].links[0].url == "https://ex.org/vsa"


# Bad input -------------------------------------------------------------------------------


def test_non_utf8_file_is_decoded_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("# Titre\n\nLa sécurité des données est menacée par les logiciels espions.\n".encode("latin-1"))
    doc = load_document(path)
    assert "sécurité" in doc.blocks[0].text
    assert doc.warnings and "latin1.md:3: not valid UTF-8" in doc.warnings[0] and "cp1252" in doc.warnings[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.md", b"   \n", "file is empty"),
        ("binary.txt", b"PK\x03\x04\x00\x00binary", "file looks binary"),
        ("data.pdf", b"%PDF-1.4", "the PDF is damaged or truncated"),  # a PDF header and nothing after it
        ("only-code.md", b"<script>const a = 1</script>\n", "no text found"),
    ],
)
def test_unusable_files_raise_a_message_naming_them(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        load_document(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("Un paragraphe assez long pour compter. " * 100, encoding="utf-8")
    with pytest.raises(DocumentError, match="too large"):
        load_document(path, max_bytes=1000)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.md"
    path.write_text("# Titre\n\nTexte.\n", encoding="utf-8")
    if os.geteuid() == 0:
        # root reads anything: make the read fail another way (a directory where a file was).
        path.unlink()
        path.mkdir()
        (path / "x").write_text("x")
        with pytest.raises(DocumentError, match="cannot read file"):
            load_document(path)
        return
    path.chmod(0)
    try:
        with pytest.raises(DocumentError, match="cannot read file"):
            load_document(path)
    finally:
        path.chmod(0o644)


def test_broken_front_matter_names_the_line_and_keeps_the_body(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text('---\ntitle: "Unclosed\ndescription: [oops\n---\n\n## Section\n\nLe corps du document reste indexé malgré tout.\n', encoding="utf-8")
    doc = load_document(path)
    assert doc.warnings and doc.warnings[0].startswith(f"{path}:") and "broken front matter" in doc.warnings[0]
    assert doc.blocks[0].text == "Le corps du document reste indexé malgré tout."
    assert doc.meta.title == "broken"


def test_front_matter_bomb_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bomb.md"
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    lines += ["title: *i", "---", "", "Texte du document, qui doit rester indexé."]
    path.write_text("\n".join(lines), encoding="utf-8")
    doc = load_document(path)
    assert doc.meta.title == "bomb"  # a non-scalar title is ignored, never expanded
    assert doc.blocks[0].text == "Texte du document, qui doit rester indexé."


def test_markdown_lists_tables_and_html_blocks(tmp_path: Path) -> None:
    path = tmp_path / "structure.md"
    path.write_text(
        """# Titre *mis* en [forme](https://ex.org/t)

3. Trois
4. Quatre

   suite de quatre

   - sous-point

     second paragraphe du sous-point
     1. profond
- Puce

| Colonne [A](https://ex.org/a) | B |
|---|---|
| valeur [lien](/fr/v) | |

<ul><li>Premier <a href="/fr/p">point</a></li><li>Second</li></ul>

- élément
  <div>îlot HTML dans une liste</div>
""",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert [(s.level, s.title) for s in doc.sections] == [(1, "Titre mis en forme")]
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("item", "3. Trois"),
        ("item", "4. Quatre suite de quatre\n– sous-point second paragraphe du sous-point\n  – 1. profond"),
        ("item", "Puce"),
        ("table", "Colonne A : B\nvaleur lien"),
        ("item", "Premier point"),
        ("item", "Second"),
        ("item", "élément"),
    ]
    assert [(l.text, l.url) for l in doc.blocks[3].links] == [("A", "https://ex.org/a"), ("lien", "/fr/v")]
    assert [(l.text, l.url) for l in doc.blocks[4].links] == [("point", "/fr/p")]


def test_braces_in_running_text_are_text_only_template_markup_goes(tmp_path: Path) -> None:
    """Issue 26: `\\end{document}` was indexed as `\\end` (every {…} was taken for Svelte markup)."""
    path = tmp_path / "latex.md"
    path.write_text(
        "---\ntitle: LaTeX\n---\n\n## Finir un document {#fin .note}\n\n"
        "On termine par \\end{document} après \\begin{itemize}, l'ensemble {1, 2, 3} et f{x}.\n\n"
        "Lien vers {lang} et {#if connecte}bienvenue{:else}bonjour{/if} {@html corps} {data.titre}.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert [s.title for s in doc.sections] == ["Finir un document"]
    first, second = (b.text for b in doc.blocks)
    assert first == "On termine par \\end{document} après \\begin{itemize}, l'ensemble {1, 2, 3} et f{x}."
    assert second.startswith("Lien vers et bienvenue") and not re.search(r"[{}]|lang|connecte|corps|titre", second)
