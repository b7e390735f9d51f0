"""Spain's provinces by the first two digits of a postcode (INE names, as the register writes
them), to fill a province the ministry's DATEX II file leaves out."""

PROVINCES = dict(
    enumerate(
        (
            "Araba/Álava", "Albacete", "Alicante/Alacant", "Almería", "Ávila", "Badajoz",
            "Balears, Illes", "Barcelona", "Burgos", "Cáceres", "Cádiz", "Castellón/Castelló",
            "Ciudad Real", "Córdoba", "Coruña, A", "Cuenca", "Girona", "Granada", "Guadalajara",
            "Gipuzkoa", "Huelva", "Huesca", "Jaén", "León", "Lleida", "Rioja, La", "Lugo",
            "Madrid", "Málaga", "Murcia", "Navarra", "Ourense", "Asturias", "Palencia",
            "Palmas, Las", "Pontevedra", "Salamanca", "Santa Cruz de Tenerife", "Cantabria",
            "Segovia", "Sevilla", "Soria", "Tarragona", "Teruel", "Toledo", "Valencia/València",
            "Valladolid", "Bizkaia", "Zamora", "Zaragoza", "Ceuta", "Melilla",
        ),
        1,
    )
)  # fmt: skip


def province_of(postcode: str) -> str | None:
    """Return the province a five-digit postcode belongs to, None if none."""
    return PROVINCES.get(int(postcode[:2])) if postcode[:2].isdigit() else None
