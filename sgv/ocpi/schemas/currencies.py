"""The currencies a tariff may be priced in: ISO 4217 alphabetic codes in use (SPEC §3).

Source: ISO 4217 "List One: Current currency & funds" as published by SIX Group, the
maintenance agency (amendment 179, 2025): every code of a currency or fund in use. Left
out on purpose: the precious metals (XAU, XAG, XPD, XPT), the bond-market units (XBA to
XBD), the testing code XTS and XXX ("no currency"), none of which prices a charge; and
withdrawn codes (HRK, SLL, ZWL, ANG, CUC …), which no tariff of today should carry.
Python ships no such list. Review when ISO publishes an amendment that adds a code.
"""

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
    SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN
    UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF XSU XUA YER ZAR ZMW ZWG
    """.split()
)
