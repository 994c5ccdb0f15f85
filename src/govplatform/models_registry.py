"""Every component's tables on one MetaData, for Alembic and for test set-up.

Lives outside the components because it must see all of them; components add
their models module here as they arrive.
"""

from govplatform.core.models import Base
from govplatform.exchange import models as exchange_models
from govplatform.identity import models as identity_models
from govplatform.notify import models as notify_models
from govplatform.pay import models as pay_models
from govplatform.transparency import models as transparency_models

metadata = Base.metadata
COMPONENT_MODELS = (transparency_models, notify_models, pay_models, identity_models, exchange_models)
