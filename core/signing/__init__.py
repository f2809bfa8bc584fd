"""Electronic signatures of the first head (G-20..G-22): verification of uploaded CMS signatures and a demo PKI."""
