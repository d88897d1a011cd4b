"""Spanish and English stop words for the feedback summaries, written without accents: words are
compared after folding (lower case, accents removed), so "está" and "esta" are both dropped.

Function words only, plus the fillers feedback is full of ("muy", "really", "thing"); subject
words (curso, class, teacher) stay, since a theme may well be about them.
"""

from __future__ import annotations

SPANISH = """
a al algo algun alguna algunas alguno algunos ante antes aqui asi aun aunque bajo bastante bien
cada casi como con contra cual cuales cuando cuanto de del desde donde dos el ella ellas ellos
en entonces entre era eran es esa esas ese eso esos esta estaba estaban estamos estan estar este
esto estos estoy fue fueron fui ha habia haber hace hacen hacer hacia han hasta hay he hemos
la las le les lo los mas me mi mis mucha muchas mucho muchos muy nada ni no nos nosotros nuestra
nuestro o os otra otras otro otros para pero poco por porque pues que quien quienes se sea sean
segun ser si sido siempre sin sino sobre solo son su sus tal tambien tan tanto te tenemos tener
tengo tiene tienen toda todas todo todos tu tus un una unas uno unos usted ustedes va vamos van
ya yo cosa cosas vez veces etc creo parece puede pueden podria seria hubo hizo cual cuya cuyo
e u q x pq xq tb tmb
""".split()

ENGLISH = """
a about above after again against all also am an and any are aren as at be because been before
being below between both but by can cannot could couldn did didn do does doesn doing don down
during each even ever few for from further get got had hadn has hasn have haven having he her
here hers herself him himself his how however i if in into is isn it its itself just let lot lots
me more most much must my myself no nor not now of off on once only or other our ours ourselves
out over own quite rather really same she should shouldn so some such than that the their theirs
them themselves then there these they thing things this those through to too under until up upon
us very was wasn we were weren what when where which while who whom why will with won would
wouldn yet you your yours yourself yourselves ll re ve im ive id etc maybe thats its dont
""".split()

STOP_WORDS = frozenset(SPANISH) | frozenset(ENGLISH)
