"""French stop words: Snowball's list plus the lemmas those forms reduce to."""

from __future__ import annotations

from kb.analysis.normalize import fold_accents

_SNOWBALL = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis
es est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse
eusses eût eussions eussiez eussent
"""
# Lemmas the lemmatiser produces for the forms above, and a few more function words.
_LEMMAS = """
être avoir cet cette celui celle ceux celles cela ça ceci dont où lequel laquelle lesquels
lesquelles leurs quel quelle quels quelles elles jusque lorsque puisque quoique
"""

FRENCH_STOP_WORDS: frozenset[str] = frozenset((_SNOWBALL + _LEMMAS).split())
# The same words typed without their accents (« etre », « etait », « ca », « meme »): a phone
# keyboard drops them, and the lemmatiser does not know the unaccented forms. Not « a » (« à »):
# as a word it is avoir's « a », which the stem chain has always indexed.
UNACCENTED_STOP_WORDS: frozenset[str] = frozenset(
    folded for folded in (fold_accents(w) for w in FRENCH_STOP_WORDS) if len(folded) > 1
) - FRENCH_STOP_WORDS

# Interrogatives and question scaffolding as typed: they carry no topic, so a question typed in
# full ("comment puis-je aider ?") searches its content words; the parser drops them from a query
# that has other words (kb/search/parse.py), and keeps them when they are all there is.
INTERROGATIVES: frozenset[str] = frozenset(
    """
    comment pourquoi quand combien quoi lequel laquelle lesquels lesquelles
    est-ce qu'est-ce est-ce-que qu'est-ce-que ce-que y-a-t-il
    """.split()
)

# Words that give a query the form of a question or a request, not its topic (lemmas): the
# interrogatives plus the verbs of a request. Beside content words they only add to a passage's
# score (kb/search/compile.py), as stop words do. They stay in the index: « pouvoir » is also a
# noun, and a query of these words alone still searches them.
QUESTION_WORDS: frozenset[str] = INTERROGATIVES | frozenset("si faire pouvoir vouloir devoir falloir aller".split())
