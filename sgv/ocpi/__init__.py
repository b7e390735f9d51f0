"""The OCPI protocol: versions 2.2.1, 2.2 and 2.1.1."""
