"""The registers of a subscription (form S-A2): the accepted-orders register the Exchange produces and hands
to the seller (S-8), the satisfied-orders register the seller returns and the Exchange checks (S-9), the
seller's proposal of one, the seller calling the subscription off, and the deadlines that end in failure.

Registers are written and read as streams: a book of 200,000 orders is walked in keyset batches and written
row by row in a background task that keeps a progress row, so neither the web process nor the worker ever
holds the whole book or the whole file in memory. Both writers write text, not objects: the XML register
as escaped strings, one per order, into the file (``xml_writer``); the XLSX register as SpreadsheetML rows
into the workbook package openpyxl makes (``xlsx_writer``, ``sheet_rows``). Uploaded files are read with
lxml's ``iterparse`` and openpyxl's ``read_only`` mode (``reader``).

The modules: ``columns`` (form S-A2), ``stream`` (the book in batches, progress, big files), the two
writers, ``jobs`` (producing), ``reader`` and ``checker`` (an uploaded satisfied register), ``receive``
(taking it and accepting or rejecting it), ``calloff`` (calling off, failure, the deadlines) and ``views``."""
