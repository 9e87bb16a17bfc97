"""The page's sections, named once: the page draws them (in this order) and the tour's stops open them.

"Side by side" is offered only while the page shows a network other than the shipped one.
"""

STEP_SECTION = "Inside one step"
WEIGHTS_SECTION = "The weights"
INSIGHT_SECTION = "What did it learn?"
TRAINING_SECTION = "Train it yourself"
SIDE_BY_SIDE_SECTION = "Side by side"
SECTIONS = (STEP_SECTION, WEIGHTS_SECTION, INSIGHT_SECTION, TRAINING_SECTION, SIDE_BY_SIDE_SECTION)
