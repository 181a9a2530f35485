"""The hub's catalogue served to other systems: an OAI-PMH 2.0 provider and SRU 2.0 searchRetrieve.

Both are pure handlers (arguments in, a :class:`ProviderResponse` out) over a :class:`PublishedCatalogue`, so an
HTTP route calls one of them in one line:

>>> handle_oai(query_string, "https://hub.example.org/oai", catalogue)
>>> handle_sru(query_string, "https://hub.example.org/sru", catalogue)
"""

from consortium.catalogue_out.oai import handle_oai
from consortium.catalogue_out.published import PublishedCatalogue, PublishedMember
from consortium.catalogue_out.response import ProviderResponse
from consortium.catalogue_out.sru import handle_sru

__all__ = ["ProviderResponse", "PublishedCatalogue", "PublishedMember", "handle_oai", "handle_sru"]
