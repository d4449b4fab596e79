"""Every user-facing string of xuefa, in Simplified Chinese, in one place: `from knowledge import messages as M`.

One package, split by topic only to keep each file readable; every string is read as `M.<its name>`,
whichever file holds it, and no two files define the same name (tests/test_messages.py).
"""

from knowledge.messages.commands import *  # noqa: F403
from knowledge.messages.laws import *  # noqa: F403
from knowledge.messages.quizzes import *  # noqa: F403
from knowledge.messages.reports import *  # noqa: F403
from knowledge.messages.units import *  # noqa: F403
from knowledge.messages.review import *  # noqa: F403
from knowledge.messages.security import *  # noqa: F403
from knowledge.messages.web import *  # noqa: F403
from knowledge.messages.channels import *  # noqa: F403
from knowledge.messages.ops import *  # noqa: F403
