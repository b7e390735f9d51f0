"""Demo data: the real DGT/MITERD register sample, converted once into the RIPREE format."""
