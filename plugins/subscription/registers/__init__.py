"""The registers of a subscription (form S-A2): the accepted-orders register the Exchange produces and hands
to the seller (S-8), the satisfied-orders register the seller returns and the Exchange checks (S-9), the
seller's proposal of one, the seller calling the subscription off, and the deadlines that end in failure.

Registers are written and read as streams: a book of 200,000 orders is walked in keyset batches and written
row by row (lxml ``xmlfile``, openpyxl ``write_only``) in a background task that keeps a progress row, so
neither the web process nor the worker ever holds the whole book or the whole file in memory."""
