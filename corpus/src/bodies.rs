//! Certification bodies: the name the registry files, how their letterheads print it,
//! their address, and the shape of their certificate numbers.

use crate::rng::Rng;

pub struct Body {
    /// As the certificate is filed (what the extractor must read).
    pub filed: &'static str,
    pub letterhead: &'static str,
    pub address: &'static str,
    pub phone: &'static str,
    /// `#` a digit, `@` a capital letter; anything else as is.
    pub number: &'static str,
    /// The accreditation printed beside the logo (a number that is not the certificate's).
    pub accreditation: &'static str,
}

pub static BODIES: &[Body] = &[
    Body {
        filed: "TÜV SÜD",
        letterhead: "TÜV SÜD Management Service GmbH",
        address: "Ridlerstraße 65, 80339 München, Germany",
        phone: "+49 89 5791-0",
        number: "12 100 ##### TMS",
        accreditation: "DAkkS D-ZM-14137-01-00",
    },
    Body {
        filed: "DEKRA",
        letterhead: "DEKRA Certification GmbH",
        address: "Handwerkstraße 15, 70565 Stuttgart, Germany",
        phone: "+49 711 7861-0",
        number: "########/#",
        accreditation: "DAkkS D-ZM-16030-01-00",
    },
    Body {
        filed: "DNV",
        letterhead: "DNV Business Assurance Zertifizierung GmbH",
        address: "Schnieringshof 14, 45329 Essen, Germany",
        phone: "+49 201 7296-0",
        number: "10000######-MSC-DAkkS-DEU",
        accreditation: "DAkkS D-ZM-11015-01-00",
    },
    Body {
        filed: "Bureau Veritas",
        letterhead: "Bureau Veritas Certification France",
        address: "Immeuble Le Guillaumet, 60 avenue du Général de Gaulle, 92046 Paris La Défense",
        phone: "+33 1 41 97 00 60",
        number: "FR######-#",
        accreditation: "COFRAC 4-0608",
    },
    Body {
        filed: "SGS",
        letterhead: "SGS United Kingdom Ltd",
        address: "Rossmore Business Park, Ellesmere Port CH65 3EN, United Kingdom",
        phone: "+44 151 350 6666",
        number: "GB##/#####",
        accreditation: "UKAS 005",
    },
    Body {
        filed: "BSI",
        letterhead: "BSI Assurance UK Ltd",
        address: "Kitemark Court, Davy Avenue, Milton Keynes MK5 8PP, United Kingdom",
        phone: "+44 345 080 9000",
        number: "FM ######",
        accreditation: "UKAS 003",
    },
    Body {
        filed: "LRQA",
        letterhead: "LRQA Limited",
        address: "1 Trinity Park, Bickenhill Lane, Birmingham B37 7ES, United Kingdom",
        phone: "+44 121 817 4000",
        number: "LRQ #######",
        accreditation: "UKAS 001",
    },
    Body {
        filed: "TÜV Rheinland",
        letterhead: "TÜV Rheinland Cert GmbH",
        address: "Am Grauen Stein, 51105 Köln, Germany",
        phone: "+49 221 806-0",
        number: "01 100 ######",
        accreditation: "DAkkS D-ZM-14153-01-00",
    },
    Body {
        filed: "DQS",
        letterhead: "DQS GmbH",
        address: "August-Schanz-Straße 21, 60433 Frankfurt am Main, Germany",
        phone: "+49 69 95427-0",
        number: "###### QM15",
        accreditation: "DAkkS D-ZM-12007-01-00",
    },
    Body {
        filed: "AENOR",
        letterhead: "AENOR Internacional S.A.U.",
        address: "Calle Génova 6, 28004 Madrid, España",
        phone: "+34 914 326 000",
        number: "ER-####/####",
        accreditation: "ENAC 01/C-SC001",
    },
    Body {
        filed: "RINA",
        letterhead: "RINA Services S.p.A.",
        address: "Via Corsica 12, 16128 Genova, Italia",
        phone: "+39 010 53851",
        number: "#####/##/S",
        accreditation: "ACCREDIA 002A",
    },
    Body {
        filed: "Kiwa",
        letterhead: "Kiwa Nederland B.V.",
        address: "Sir Winston Churchilllaan 273, 2288 EA Rijswijk, Nederland",
        phone: "+31 88 998 44 00",
        number: "K#####/##",
        accreditation: "RvA C 021",
    },
    // Numbers with suffixes, as these bodies print them.
    Body {
        filed: "DNV",
        letterhead: "DNV Business Assurance Norway AS",
        address: "Veritasveien 1, 1363 Høvik, Norway",
        phone: "+47 67 57 99 00",
        number: "C######-IC#-ISO-NOR",
        accreditation: "NA Certification MSYS 001",
    },
    Body {
        filed: "LRQA",
        letterhead: "LRQA Group Limited",
        address: "1 Trinity Park, Bickenhill Lane, Birmingham B37 7ES, United Kingdom",
        phone: "+44 121 817 4000",
        number: "LRQ#######/@",
        accreditation: "UKAS 001",
    },
    Body {
        filed: "SGS",
        letterhead: "SGS Polska Sp. z o.o.",
        address: "ul. Jana Kilińskiego 2, 00-257 Warszawa, Polska",
        phone: "+48 22 329 22 22",
        number: "PL##/#####.00",
        accreditation: "PCA AC 082",
    },
    Body {
        filed: "Intertek",
        letterhead: "Intertek Certification AB",
        address: "Torshamnsgatan 43, 164 40 Kista, Sweden",
        phone: "+46 8 750 00 00",
        number: "######-#-SE",
        accreditation: "SWEDAC 1728",
    },
    // Bodies the issue named that the reader first lacked.
    Body {
        filed: "NSF",
        letterhead: "NSF International Strategic Registrations",
        address: "789 N. Dixboro Road, Ann Arbor, MI 48105, USA",
        phone: "+1 734 769 8010",
        number: "C#######-IS#",
        accreditation: "ANAB MS-0001",
    },
    Body {
        filed: "JQA",
        letterhead: "Japan Quality Assurance Organization",
        address: "1-25 Kandasudacho, Chiyoda-ku, Tokyo 101-8555, Japan",
        phone: "+81 3 4560 9000",
        number: "JQA-QMA#####",
        accreditation: "JAB CM001",
    },
    Body {
        filed: "Türk Loydu",
        letterhead: "Türk Loydu Uygunluk Değerlendirme Hizmetleri A.Ş.",
        address: "Tersaneler Caddesi No: 26, 34944 Tuzla/İstanbul, Türkiye",
        phone: "+90 216 581 37 00",
        number: "TL-####-QMS/##",
        accreditation: "TÜRKAK AB-0004-YS",
    },
    // Bodies no list holds (made up): filed under the name their letterhead prints, which
    // the reader can only take from the page.
    Body {
        filed: "Meridian Certification Ltd",
        letterhead: "Meridian Certification Ltd",
        address: "14 Harbour Road, Leith, Edinburgh EH6 6LU, United Kingdom",
        phone: "+44 131 555 0192",
        number: "MC-####-Q",
        accreditation: "UKAS 9187",
    },
    Body {
        filed: "Kvalitets Certifiering Norden AB",
        letterhead: "Kvalitets Certifiering Norden AB",
        address: "Hamngatan 8, 411 14 Göteborg, Sweden",
        phone: "+46 31 700 12 40",
        number: "KCN ####/##",
        accreditation: "SWEDAC 2291",
    },
    Body {
        filed: "Adriatic Quality Institute d.o.o.",
        letterhead: "Adriatic Quality Institute d.o.o.",
        address: "Ulica Grada Vukovara 271, 10000 Zagreb, Croatia",
        phone: "+385 1 6400 310",
        number: "AQI-##-####",
        accreditation: "HAA 2079",
    },
];

/// A number in the body's shape.
pub fn number(body: &Body, rng: &mut Rng) -> String {
    body.number
        .chars()
        .map(|c| match c {
            '#' => char::from(b'0' + rng.below(10) as u8),
            '@' => char::from(b'A' + rng.below(26) as u8),
            other => other,
        })
        .collect()
}
