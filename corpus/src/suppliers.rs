//! The companies of the corpus: a tenant's registered suppliers (near-duplicates among
//! them), the look-alike companies that are not registered, and the ways a supplier's
//! name gets printed.

use crate::lang::Language;
use crate::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub name: &'static str,
    pub language: Language,
    pub address: &'static str,
    pub vat: Option<&'static str>,
    pub website: Option<&'static str>,
    pub lei: Option<&'static str>,
}

const fn company(
    name: &'static str,
    language: Language,
    address: &'static str,
    vat: Option<&'static str>,
    website: Option<&'static str>,
) -> Company {
    Company {
        name,
        language,
        address,
        vat,
        website,
        lei: None,
    }
}

use Language::*;

/// The tenant's suppliers, as registered.
pub static SUPPLIERS: &[Company] = &[
    company(
        "Muster Metall GmbH",
        De,
        "Industriestraße 12, 70565 Stuttgart",
        Some("DE123456789"),
        None,
    ),
    company(
        "Muster Metal GmbH",
        De,
        "Gewerbering 4, 89073 Ulm",
        None,
        None,
    ),
    company(
        "Schmidt Kunststofftechnik GmbH",
        De,
        "Am Hafen 3, 28217 Bremen",
        None,
        Some("https://www.schmidt-kt.example"),
    ),
    company(
        "Müller Präzisionstechnik GmbH & Co. KG",
        De,
        "Lindenweg 9, 90411 Nürnberg",
        Some("DE811223344"),
        None,
    ),
    company(
        "Weber Antriebstechnik AG",
        De,
        "Schlossallee 1, 60311 Frankfurt am Main",
        None,
        None,
    ),
    company(
        "Alpen Stahlbau GmbH",
        De,
        "Salzachstraße 20, 5020 Salzburg",
        Some("ATU12345678"),
        None,
    ),
    company(
        "Zürcher Feinmechanik AG",
        De,
        "Seestrasse 44, 8002 Zürich",
        Some("CHE-123.456.789 MWST"),
        None,
    ),
    company(
        "Société Lyonnaise de Mécanique S.A.",
        Fr,
        "12 rue de la République, 69002 Lyon",
        Some("FR40123456824"),
        None,
    ),
    company(
        "Ateliers Dubois SAS",
        Fr,
        "5 avenue Jean Jaurès, 59000 Lille",
        None,
        Some("https://ateliers-dubois.example"),
    ),
    company(
        "Brabant Coatings NV",
        Nl,
        "Industrieweg 7, 2800 Mechelen",
        Some("BE0412345678"),
        None,
    ),
    company(
        "Fábrica Ibérica de Tornillos S.L.",
        Es,
        "Calle Mayor 15, 28013 Madrid",
        None,
        Some("https://tornillos-iberica.example"),
    ),
    company(
        "Componentes Levante S.A.",
        Es,
        "Avenida del Puerto 88, 46023 Valencia",
        Some("ESA12345674"),
        None,
    ),
    company(
        "Officine Meccaniche Rossi S.p.A.",
        It,
        "Via Roma 21, 20121 Milano",
        Some("IT01234567890"),
        None,
    ),
    company(
        "Fonderia Bianchi S.r.l.",
        It,
        "Via Emilia 300, 40128 Bologna",
        None,
        None,
    ),
    company(
        "Holland Precisie B.V.",
        Nl,
        "Havenstraat 10, 5611 AB Eindhoven",
        Some("NL123456789B01"),
        None,
    ),
    company(
        "Van Dijk Kunststoffen B.V.",
        Nl,
        "Kanaalweg 2, 3526 KL Utrecht",
        None,
        Some("https://vandijk-kunststoffen.example"),
    ),
    company(
        "Zakłady Metalowe Kowalski Sp. z o.o.",
        Pl,
        "ul. Przemysłowa 5, 61-001 Poznań",
        Some("PL5260250995"),
        None,
    ),
    company(
        "Polstal S.A.",
        Pl,
        "ul. Hutnicza 1, 40-001 Katowice",
        None,
        None,
    ),
    company(
        "Metalúrgica do Norte, Lda.",
        Pt,
        "Rua do Porto 45, 4000-322 Porto",
        Some("PT501234560"),
        None,
    ),
    company(
        "Moldes Atlântico S.A.",
        Pt,
        "Zona Industrial, 2430-028 Marinha Grande",
        None,
        None,
    ),
    company(
        "Strojírna Novák s.r.o.",
        Cs,
        "Průmyslová 8, 602 00 Brno",
        Some("CZ12345678"),
        None,
    ),
    company(
        "Kovárna Dvořák a.s.",
        Cs,
        "Hutní 3, 709 00 Ostrava",
        None,
        None,
    ),
    company(
        "Nordic Timber AB",
        Sv,
        "Skogsvägen 2, 831 40 Östersund",
        Some("SE556677889901"),
        None,
    ),
    company(
        "Göteborg Gjuteri AB",
        Sv,
        "Hamngatan 9, 411 06 Göteborg",
        None,
        Some("https://gjuteri-gbg.example"),
    ),
    company(
        "Jensen Plast A/S",
        En,
        "Fabriksvej 4, 8700 Horsens, Denmark",
        Some("DK12345678"),
        None,
    ),
    company(
        "Suomen Teräs Oy",
        En,
        "Tehtaankatu 1, 00140 Helsinki, Finland",
        Some("FI12345671"),
        None,
    ),
    company(
        "Fjord Aluminium AS",
        En,
        "Kaiveien 3, 5003 Bergen, Norway",
        None,
        None,
    ),
    company(
        "Precision Parts Ltd",
        En,
        "14 Mill Lane, Coventry CV1 2AB",
        Some("GB123456789"),
        None,
    ),
    company(
        "Midlands Castings plc",
        En,
        "Unit 7, Foundry Road, Walsall WS1 3AA",
        None,
        Some("https://midlands-castings.example"),
    ),
    company(
        "Acme Widgets Inc",
        En,
        "1200 Industrial Pkwy, Dayton, OH 45402",
        None,
        Some("https://www.acme-widgets.example"),
    ),
    company(
        "Great Lakes Fasteners LLC",
        En,
        "77 Harbor Dr, Cleveland, OH 44114",
        None,
        None,
    ),
    company(
        "Yamada Seiki K.K.",
        En,
        "2-3-1 Minato, Nagoya 455-0001, Japan",
        None,
        None,
    ),
    company(
        "Biofuel Energy AG",
        De,
        "Bahnhofstrasse 5, 4051 Basel",
        None,
        None,
    ),
    company(
        "Anadolu Döküm Sanayi ve Ticaret A.Ş.",
        Tr,
        "Organize Sanayi Bölgesi 4. Cadde No: 12, 16140 Nilüfer/Bursa",
        None,
        None,
    ),
    company(
        "Ege Plastik Kalıp Ltd. Şti.",
        Tr,
        "Atatürk Organize Sanayi Bölgesi 10001 Sokak No: 5, 35620 Çiğli/İzmir",
        None,
        Some("https://www.egeplastik.example"),
    ),
    company(
        "Marmara Cıvata Anonim Şirketi",
        Tr,
        "Gebze Organize Sanayi Bölgesi 800. Sokak No: 3, 41400 Gebze/Kocaeli",
        None,
        None,
    ),
    company(
        "Tokai Precision Co., Ltd.",
        En,
        "1-5-10 Atsuta, Nagoya 456-0002, Japan",
        None,
        None,
    ),
    company(
        "Metalúrgica Paulista Ltda.",
        Pt,
        "Avenida das Indústrias 900, 09380-000 Santo André, SP, Brasil",
        None,
        None,
    ),
];

/// LEIs (valid ISO 17442 check digits) of some suppliers, printed on their documents.
pub static LEIS: &[(&str, &str)] = &[
    ("Weber Antriebstechnik AG", "529900T8BM49AURSDO55"),
    ("Polstal S.A.", "259400DZXF7RS9GLU205"),
    ("Great Lakes Fasteners LLC", "5493001KJTIIGC8Y1R12"),
];

/// Companies that are not registered: look-alikes of suppliers (their name plus a
/// distinctive word, another legal form, another word) and unrelated ones.
pub static STRANGERS: &[Company] = &[
    company(
        "Muster Metall Technik GmbH",
        De,
        "Industriestraße 14, 70565 Stuttgart",
        None,
        None,
    ),
    company(
        "Muster Metall Holding GmbH",
        De,
        "Königstraße 1, 70173 Stuttgart",
        Some("DE998877665"),
        None,
    ),
    company("Muster Metall AG", De, "Rheinweg 2, 4058 Basel", None, None),
    company(
        "Nordic Timber Trading AB",
        Sv,
        "Skeppsbron 3, 111 30 Stockholm",
        None,
        None,
    ),
    company(
        "Precision Parts Engineering Ltd",
        En,
        "2 Canal Street, Birmingham B1 1AA",
        None,
        None,
    ),
    company(
        "Acme Gadgets Inc",
        En,
        "9 Elm St, Columbus, OH 43004",
        None,
        Some("https://acme-gadgets.example"),
    ),
    company(
        "Officine Meccaniche Rossi Servizi S.r.l.",
        It,
        "Via Torino 5, 10121 Torino",
        None,
        None,
    ),
    company(
        "Holland Precisie Groep B.V.",
        Nl,
        "Stationsplein 1, 3511 ED Utrecht",
        None,
        None,
    ),
    company(
        "Société Lyonnaise de Mécanique Industrielle SAS",
        Fr,
        "4 quai Perrache, 69002 Lyon",
        None,
        None,
    ),
    company(
        "Polstal Serwis Sp. z o.o.",
        Pl,
        "ul. Długa 7, 00-238 Warszawa",
        None,
        None,
    ),
    company(
        "Strojírna Novák Servis s.r.o.",
        Cs,
        "Nádražní 2, 702 00 Ostrava",
        None,
        None,
    ),
    company(
        "Metalúrgica do Norte Sul, Lda.",
        Pt,
        "Avenida da Liberdade 9, 1250-096 Lisboa",
        None,
        None,
    ),
    company(
        "Fonderia Bianchi Group S.p.A.",
        It,
        "Corso Venezia 4, 20121 Milano",
        None,
        None,
    ),
    company(
        "Baltic Wood Products UAB",
        En,
        "Gedimino pr. 1, 01103 Vilnius, Lithuania",
        Some("LT100001234567"),
        None,
    ),
    company(
        "Iberian Steel Tubes S.A.",
        Es,
        "Polígono Sur 3, 41001 Sevilla",
        None,
        None,
    ),
    company(
        "Kovárna Dvořák Morava a.s.",
        Cs,
        "Zámecká 1, 779 00 Olomouc",
        None,
        None,
    ),
    company(
        "Göteborg Gjuteri Service AB",
        Sv,
        "Lindholmen 1, 417 56 Göteborg",
        None,
        None,
    ),
    company(
        "Weber Antriebstechnik Service GmbH",
        De,
        "Am Markt 2, 35037 Marburg",
        None,
        None,
    ),
    company(
        "Anadolu Döküm Makina Sanayi A.Ş.",
        Tr,
        "Demirtaş Organize Sanayi Bölgesi, 16245 Osmangazi/Bursa",
        None,
        None,
    ),
    company(
        "Tokai Precision Engineering Co., Ltd.",
        En,
        "3-8 Higashi, Toyota 471-0001, Japan",
        None,
        None,
    ),
];

/// Long spellings and other abbreviations of the legal forms the suppliers use.
const FORM_SPELLINGS: &[(&str, &[&str])] = &[
    ("GmbH & Co. KG", &["GmbH & Co KG", "GmbH u. Co. KG"]),
    (
        "GmbH",
        &["Gesellschaft mit beschränkter Haftung", "G.m.b.H."],
    ),
    ("AG", &["Aktiengesellschaft", "A.G."]),
    ("S.A.", &["SA", "Société Anonyme"]),
    ("SAS", &["S.A.S.", "Société par actions simplifiée"]),
    ("S.L.", &["SL", "Sociedad Limitada"]),
    ("S.p.A.", &["SpA", "Società per Azioni"]),
    ("S.r.l.", &["Srl", "Società a responsabilità limitata"]),
    ("B.V.", &["BV", "Besloten Vennootschap"]),
    ("NV", &["N.V.", "Naamloze Vennootschap"]),
    (
        "Sp. z o.o.",
        &["sp. z o. o.", "Spółka z ograniczoną odpowiedzialnością"],
    ),
    ("Lda.", &["Limitada", "Lda"]),
    ("s.r.o.", &["spol. s r.o.", "společnost s ručením omezeným"]),
    ("a.s.", &["akciová společnost", "a. s."]),
    ("AB", &["Aktiebolag", "Aktiebolaget"]),
    ("A/S", &["Aktieselskab", "AS"]),
    ("Oy", &["Osakeyhtiö", "OY"]),
    ("AS", &["Aksjeselskap", "A/S"]),
    ("Ltd", &["Limited", "Ltd."]),
    ("plc", &["PLC", "Public Limited Company"]),
    ("Inc", &["Incorporated", "Inc."]),
    ("LLC", &["L.L.C.", "Limited Liability Company"]),
    ("K.K.", &["Kabushiki Kaisha", "KK"]),
    ("Co., Ltd.", &["Kabushiki Kaisha", "CO., LTD."]),
    ("A.Ş.", &["Anonim Şirketi", "AŞ"]),
    ("Anonim Şirketi", &["A.Ş.", "A.S."]),
    ("Ltd. Şti.", &["Limited Şirketi", "Ltd. Sti."]),
    ("Ltda.", &["Limitada", "LTDA"]),
];

/// How a name is printed on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    AsRegistered,
    Capitals,
    OtherFormSpelling,
    WithoutDiacritics,
    WithoutForm,
}

/// The name as a document prints it.
pub fn printed(name: &str, variant: Variant, rng: &mut Rng) -> String {
    let form = FORM_SPELLINGS.iter().find(|(form, _)| {
        name.ends_with(&format!(" {form}")) || name.ends_with(&format!(", {form}"))
    });
    match variant {
        Variant::AsRegistered => name.to_string(),
        Variant::Capitals => name.to_uppercase(),
        Variant::OtherFormSpelling => match form {
            Some((form, others)) => {
                let stem = name[..name.len() - form.len()].trim_end();
                format!("{stem} {}", others[rng.below(others.len())])
            }
            None => name.to_string(),
        },
        Variant::WithoutDiacritics => {
            // German umlauts as their two-letter spellings, other marks dropped.
            let spelled = name
                .replace('ä', "ae")
                .replace('ö', "oe")
                .replace('ü', "ue")
                .replace('Ä', "Ae")
                .replace('Ö', "Oe")
                .replace('Ü', "Ue")
                .replace('ß', "ss");
            deunicode::deunicode(&spelled)
        }
        Variant::WithoutForm => match form {
            Some((form, _)) => name[..name.len() - form.len()]
                .trim_end_matches([' ', ','])
                .to_string(),
            None => name.to_string(),
        },
    }
}

/// The ways a name is printed; `WithoutForm` last (strangers never drop their form).
pub const VARIANTS: [Variant; 5] = [
    Variant::AsRegistered,
    Variant::Capitals,
    Variant::OtherFormSpelling,
    Variant::WithoutDiacritics,
    Variant::WithoutForm,
];
