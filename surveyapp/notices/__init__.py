"""Monthly notices (月度通报): drafted from a month's results, published as frozen revisions with a PDF, and
per-hall feedback letters."""
