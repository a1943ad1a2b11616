"""The real Olist data set's facts that the generator draws from: counts at scale 1, shares,
Brazil's states and cities, the category translation, review texts.

Data only: generator/__init__.py holds the drawing logic.
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass

# Counts of the real data set (scale 1) that the quirks are scaled from.
_REAL = {
    "zips": 19_015,
    "unique_customers": 96_096,
    "orders_without_items": 775,
    "multi_item_orders": 9_803,
    "products_without_category": 610,
    "pc_gamer_products": 3,
    "portateis_products": 10,
    "not_defined_payments": 3,
    "zero_installment_payments": 2,
    "zero_value_vouchers": 6,
    "multi_payment_orders": 2_961,
    "extra_reviews": 551,
    "duplicate_review_ids": 789,
    # What sizes an increment's files from its number of orders: rows beyond one per order
    # (112,650 items for 98,666 orders with items; 103,886 payments for 99,440 paying orders)
    # and orders without a review (98,673 of 99,441 are reviewed).
    "extra_items": 13_984,
    "extra_payments": 4_446,
    "unreviewed_orders": 768,
}

_STATUS_AT_SCALE_1 = {
    "delivered": 96_478,
    "shipped": 1_107,
    "canceled": 625,
    "unavailable": 609,
    "invoiced": 314,
    "processing": 301,
    "created": 5,
    "approved": 2,
}
STATUSES = tuple(_STATUS_AT_SCALE_1)
_DELIVERED, _SHIPPED, _CANCELED, _UNAVAILABLE, _CREATED = (
    STATUSES.index(status)
    for status in ("delivered", "shipped", "canceled", "unavailable", "created")
)

PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
_CREDIT_CARD, _VOUCHER, _NOT_DEFINED = (
    PAYMENT_TYPES.index(kind) for kind in ("credit_card", "voucher", "not_defined")
)
# Type of an order's first payment; its other payments are vouchers, which brings the row
# shares to the real ones (credit card ~74%, boleto ~19%, voucher ~5.5%, debit card ~1.5%).
_FIRST_PAYMENT_SHARES = (0.772, 0.199, 0.0134, 0.0156)
# Real credit-card installment counts, 1 to 24.
_INSTALLMENTS = {
    1: 25_455, 2: 12_389, 3: 10_443, 4: 7_088, 5: 5_234, 6: 3_916, 7: 1_623, 8: 4_253,
    9: 644, 10: 5_315, 11: 23, 12: 133, 13: 16, 14: 15, 15: 74, 16: 5, 17: 8, 18: 27,
    20: 17, 21: 3, 22: 1, 23: 1, 24: 18,
}  # fmt: skip

# Real orders per purchase month. The first and last windows are clipped to the real first and
# last purchase; delivered orders stop at the last real delivered purchase so that their
# deliveries fall before the data set's end.
_MONTHLY_ORDERS = (
    (2016, 9, 4), (2016, 10, 324), (2016, 12, 1), (2017, 1, 800), (2017, 2, 1_780),
    (2017, 3, 2_682), (2017, 4, 2_404), (2017, 5, 3_700), (2017, 6, 3_245), (2017, 7, 4_026),
    (2017, 8, 4_331), (2017, 9, 4_285), (2017, 10, 4_631), (2017, 11, 7_544),
    (2017, 12, 5_673), (2018, 1, 7_269), (2018, 2, 6_728), (2018, 3, 7_211), (2018, 4, 6_939),
    (2018, 5, 6_873), (2018, 6, 6_167), (2018, 7, 6_292), (2018, 8, 6_512), (2018, 9, 16),
    (2018, 10, 4),
)  # fmt: skip
_FIRST_PURCHASE = calendar.timegm((2016, 9, 4, 21, 15, 19))
_LAST_PURCHASE = calendar.timegm((2018, 10, 17, 17, 30, 18))
_LAST_DELIVERED_PURCHASE = calendar.timegm((2018, 8, 29, 15, 0, 37))
_LAST_DELIVERY = calendar.timegm((2018, 10, 17, 13, 22, 46))
_LATE_SHARE = 0.081

_SCORE_SHARES = (0.115, 0.032, 0.082, 0.193, 0.578)
# Late, canceled or never delivered orders get worse reviews.
_UNHAPPY_SCORE_SHARES = (0.45, 0.10, 0.12, 0.13, 0.20)
_TITLE_SHARE = 0.117
_MESSAGE_SHARE = 0.413


@dataclass(frozen=True)
class _City:
    name: str  # as the real geolocation file spells it at best: lower case, with accents
    lat: float
    lng: float
    weight: float


@dataclass(frozen=True)
class _State:
    uf: str
    zip_lo: int
    zip_hi: int
    customers: int  # real customers in the state
    sellers: int  # real sellers in the state
    cities: tuple[_City, ...]  # the capital first: it gets the state's lowest zip prefixes


def _cities(spec: str) -> tuple[_City, ...]:
    """'name:lat:lng:weight; ...' -> cities (a compact table keeps the data readable)."""
    cities = []
    for part in spec.split(";"):
        name, lat, lng, weight = (p.strip() for p in part.split(":"))
        cities.append(_City(name, float(lat), float(lng), float(weight)))
    return tuple(cities)


# The 27 Brazilian states in zip-prefix order, with their zip ranges and a few real cities.
STATES: tuple[_State, ...] = (
    _State("SP", 1_000, 19_999, 41_746, 1_849, _cities(
        "são paulo:-23.55:-46.63:40; guarulhos:-23.46:-46.53:5; osasco:-23.53:-46.79:4;"
        "santo andré:-23.66:-46.53:4; são bernardo do campo:-23.69:-46.56:4;"
        "santos:-23.96:-46.33:4; jundiaí:-23.19:-46.88:3; campinas:-22.91:-47.06:8;"
        "piracicaba:-22.73:-47.65:3; limeira:-22.56:-47.40:2; ribeirão preto:-21.18:-47.81:4;"
        "franca:-20.54:-47.40:2; bauru:-22.31:-49.06:2; sorocaba:-23.50:-47.46:4;"
        "são josé dos campos:-23.18:-45.89:4")),
    _State("RJ", 20_000, 28_999, 12_852, 171, _cities(
        "rio de janeiro:-22.91:-43.17:50; niterói:-22.88:-43.10:8; são gonçalo:-22.83:-43.05:6;"
        "duque de caxias:-22.79:-43.31:6; nova iguaçu:-22.76:-43.45:6;"
        "petrópolis:-22.51:-43.18:4; volta redonda:-22.52:-44.10:3;"
        "campos dos goytacazes:-21.75:-41.32:4")),
    _State("ES", 29_000, 29_999, 2_033, 23, _cities(
        "vitória:-20.32:-40.34:10; vila velha:-20.33:-40.29:8; serra:-20.13:-40.31:6;"
        "cariacica:-20.26:-40.42:5")),
    _State("MG", 30_000, 39_999, 11_635, 244, _cities(
        "belo horizonte:-19.92:-43.94:30; contagem:-19.93:-44.05:6; betim:-19.97:-44.20:4;"
        "ipatinga:-19.47:-42.54:2; governador valadares:-18.85:-41.95:2;"
        "juiz de fora:-21.76:-43.35:6; poços de caldas:-21.79:-46.56:2;"
        "uberaba:-19.75:-47.93:3; uberlândia:-18.92:-48.28:6; montes claros:-16.73:-43.86:3")),
    _State("BA", 40_000, 48_999, 3_380, 19, _cities(
        "salvador:-12.97:-38.50:40; lauro de freitas:-12.89:-38.33:4;"
        "camaçari:-12.70:-38.32:4; feira de santana:-12.27:-38.97:8; ilhéus:-14.79:-39.05:3;"
        "vitória da conquista:-14.86:-40.84:5")),
    _State("SE", 49_000, 49_999, 350, 2, _cities(
        "aracaju:-10.91:-37.07:10; nossa senhora do socorro:-10.86:-37.13:2;"
        "lagarto:-10.92:-37.65:1")),
    _State("PE", 50_000, 56_999, 1_652, 9, _cities(
        "recife:-8.05:-34.88:20; olinda:-8.01:-34.86:5; jaboatão dos guararapes:-8.11:-35.01:6;"
        "caruaru:-8.28:-35.97:3; petrolina:-9.39:-40.50:3")),
    _State("AL", 57_000, 57_999, 413, 0, _cities(
        "maceió:-9.67:-35.74:10; arapiraca:-9.75:-36.66:3")),
    _State("PB", 58_000, 58_999, 536, 6, _cities(
        "joão pessoa:-7.12:-34.86:10; campina grande:-7.23:-35.88:4")),
    _State("RN", 59_000, 59_999, 485, 5, _cities(
        "natal:-5.79:-35.21:10; parnamirim:-5.92:-35.26:3; mossoró:-5.19:-37.34:3")),
    _State("CE", 60_000, 63_999, 1_336, 13, _cities(
        "fortaleza:-3.73:-38.52:20; caucaia:-3.74:-38.65:3; sobral:-3.69:-40.35:2;"
        "juazeiro do norte:-7.21:-39.31:3")),
    _State("PI", 64_000, 64_999, 495, 1, _cities(
        "teresina:-5.09:-42.80:10; parnaíba:-2.90:-41.78:2")),
    _State("MA", 65_000, 65_999, 747, 1, _cities(
        "são luís:-2.53:-44.30:10; imperatriz:-5.52:-47.47:3")),
    _State("PA", 66_000, 68_899, 975, 1, _cities(
        "belém:-1.46:-48.49:10; ananindeua:-1.37:-48.37:3; santarém:-2.44:-54.70:2;"
        "marabá:-5.37:-49.12:2")),
    _State("AP", 68_900, 68_999, 68, 0, _cities(
        "macapá:0.03:-51.07:5; santana:-0.06:-51.18:1")),
    _State("AM", 69_000, 69_299, 148, 1, _cities(
        "manaus:-3.12:-60.02:10; parintins:-2.63:-56.74:1")),
    _State("RR", 69_300, 69_399, 46, 0, _cities("boa vista:2.82:-60.67:5")),
    _State("AC", 69_900, 69_999, 81, 1, _cities(
        "rio branco:-9.97:-67.81:5; cruzeiro do sul:-7.63:-72.67:1")),
    _State("DF", 70_000, 72_799, 2_140, 30, _cities(
        "brasília:-15.79:-47.88:20; taguatinga:-15.83:-48.06:5; ceilândia:-15.82:-48.11:4")),
    _State("GO", 72_800, 76_799, 2_020, 40, _cities(
        "goiânia:-16.68:-49.25:15; aparecida de goiânia:-16.82:-49.24:5;"
        "anápolis:-16.33:-48.95:4; rio verde:-17.79:-50.92:2")),
    _State("RO", 76_800, 76_999, 253, 2, _cities(
        "porto velho:-8.76:-63.90:5; ji-paraná:-10.88:-61.95:2")),
    _State("TO", 77_000, 77_999, 280, 0, _cities(
        "palmas:-10.18:-48.33:5; araguaína:-7.19:-48.21:3")),
    _State("MT", 78_000, 78_899, 907, 4, _cities(
        "cuiabá:-15.60:-56.10:10; várzea grande:-15.65:-56.13:4; rondonópolis:-16.47:-54.64:3;"
        "sinop:-11.86:-55.50:2")),
    _State("MS", 79_000, 79_999, 715, 5, _cities(
        "campo grande:-20.47:-54.62:10; dourados:-22.22:-54.81:3; três lagoas:-20.75:-51.68:2")),
    _State("PR", 80_000, 87_999, 5_045, 349, _cities(
        "curitiba:-25.43:-49.27:20; são josé dos pinhais:-25.53:-49.21:3;"
        "ponta grossa:-25.09:-50.16:3; londrina:-23.31:-51.16:6; maringá:-23.42:-51.94:6;"
        "foz do iguaçu:-25.55:-54.59:3; cascavel:-24.96:-53.46:3")),
    _State("SC", 88_000, 89_999, 3_637, 190, _cities(
        "florianópolis:-27.60:-48.55:10; são josé:-27.61:-48.63:4; itajaí:-26.91:-48.66:3;"
        "criciúma:-28.68:-49.37:3; blumenau:-26.92:-49.07:6; joinville:-26.30:-48.85:8;"
        "chapecó:-27.10:-52.62:3")),
    _State("RS", 90_000, 99_999, 5_466, 129, _cities(
        "porto alegre:-30.03:-51.23:20; canoas:-29.92:-51.18:5; novo hamburgo:-29.68:-51.13:3;"
        "caxias do sul:-29.17:-51.18:6; pelotas:-31.77:-52.34:4; santa maria:-29.69:-53.81:4;"
        "passo fundo:-28.26:-52.41:3")),
)  # fmt: skip


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for pair in text.split():
        portuguese, english = pair.split(",")
        pairs.append((portuguese, english))
    return tuple(pairs)


# The real translation file's pairs (its order; its typos such as "costruction" included).
CATEGORY_TRANSLATION = _pairs("""
beleza_saude,health_beauty informatica_acessorios,computers_accessories automotivo,auto
cama_mesa_banho,bed_bath_table moveis_decoracao,furniture_decor esporte_lazer,sports_leisure
perfumaria,perfumery utilidades_domesticas,housewares telefonia,telephony
relogios_presentes,watches_gifts alimentos_bebidas,food_drink bebes,baby papelaria,stationery
tablets_impressao_imagem,tablets_printing_image brinquedos,toys telefonia_fixa,fixed_telephony
ferramentas_jardim,garden_tools fashion_bolsas_e_acessorios,fashion_bags_accessories
eletroportateis,small_appliances consoles_games,consoles_games audio,audio
fashion_calcados,fashion_shoes cool_stuff,cool_stuff malas_acessorios,luggage_accessories
climatizacao,air_conditioning construcao_ferramentas_construcao,construction_tools_construction
moveis_cozinha_area_de_servico_jantar_e_jardim,kitchen_dining_laundry_garden_furniture
construcao_ferramentas_jardim,costruction_tools_garden
fashion_roupa_masculina,fashion_male_clothing pet_shop,pet_shop
moveis_escritorio,office_furniture market_place,market_place eletronicos,electronics
eletrodomesticos,home_appliances artigos_de_festas,party_supplies casa_conforto,home_confort
construcao_ferramentas_ferramentas,costruction_tools_tools
agro_industria_e_comercio,agro_industry_and_commerce
moveis_colchao_e_estofado,furniture_mattress_and_upholstery livros_tecnicos,books_technical
casa_construcao,home_construction instrumentos_musicais,musical_instruments
moveis_sala,furniture_living_room construcao_ferramentas_iluminacao,construction_tools_lights
industria_comercio_e_negocios,industry_commerce_and_business alimentos,food artes,art
moveis_quarto,furniture_bedroom livros_interesse_geral,books_general_interest
construcao_ferramentas_seguranca,construction_tools_safety
fashion_underwear_e_moda_praia,fashion_underwear_beach fashion_esporte,fashion_sport
sinalizacao_e_seguranca,signaling_and_security pcs,computers
artigos_de_natal,christmas_supplies fashio_female_clothing,fashion_female_clothing
eletrodomesticos_2,home_appliances_2 livros_importados,books_imported bebidas,drinks
cine_foto,cine_photo la_cuisine,la_cuisine musica,music casa_conforto_2,home_comfort_2
portateis_casa_forno_e_cafe,small_appliances_home_oven_and_coffee
cds_dvds_musicais,cds_dvds_musicals dvds_blu_ray,dvds_blu_ray flores,flowers
artes_e_artesanato,arts_and_craftmanship fraldas_higiene,diapers_and_hygiene
fashion_roupa_infanto_juvenil,fashion_childrens_clothes seguros_e_servicos,security_and_services
""")
# Used by products but absent from the translation file, as in the real data.
UNTRANSLATED_CATEGORIES = ("pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos")
# Real products per category for the big ones; the others share a small default.
_CATEGORY_PRODUCTS = {
    "cama_mesa_banho": 3_029, "esporte_lazer": 2_867, "moveis_decoracao": 2_657,
    "beleza_saude": 2_444, "utilidades_domesticas": 2_335, "automotivo": 1_900,
    "informatica_acessorios": 1_639, "brinquedos": 1_411, "relogios_presentes": 1_329,
    "telefonia": 1_134, "bebes": 919, "perfumaria": 868, "fashion_bolsas_e_acessorios": 849,
    "papelaria": 849, "cool_stuff": 789, "ferramentas_jardim": 753, "pet_shop": 719,
    "eletronicos": 517, "construcao_ferramentas_construcao": 400, "eletrodomesticos": 370,
}  # fmt: skip
_OTHER_CATEGORY_PRODUCTS = 60

_POSITIVE_TITLES = (
    "Recomendo", "Ótimo produto", "Muito bom", "Excelente", "Super recomendo", "Nota 10",
    "Adorei", "Entrega rápida", "Satisfeita", "Perfeito", "Bom", "Amei!",
)  # fmt: skip
_NEGATIVE_TITLES = (
    "Não recebi", "Péssimo", "Produto com defeito", "Atraso na entrega", "Ruim",
    "Não recomendo", "Decepcionado", "Veio errado", "Pedido incompleto",
)  # fmt: skip
_POSITIVE_MESSAGES = (
    "Recebi bem antes do prazo estipulado.",
    "Produto excelente, chegou rápido e bem embalado.",
    "Ótimo custo-benefício, recomendo a todos.",
    "Parabéns lojas lannister adorei comprar pela Internet seguro e prático Parabéns a todos "
    "feliz Páscoa",
    "Chegou antes do prazo, produto de ótima qualidade.",
    "Tudo certo, entrega rápida.",
    "Gostei muito, voltarei a comprar.",
    "O produto é exatamente como descrito no anúncio.",
    "Muito bom",
    "Entrega super rápida e o vendedor é atencioso.",
    "Satisfeita com a compra, obrigada!",
    "aparelho eficiente. no site a marca do aparelho esta impresso como 3desinfector e ao "
    "chegar esta com outro nome...",
)
_NEGATIVE_MESSAGES = (
    "Não recebi o produto até agora.",
    "O produto veio com defeito e ainda não tive resposta.",
    "Entrega atrasada, muito demorado.",
    "Produto diferente da foto.",
    "Péssimo atendimento, não recomendo.",
    "Veio quebrado, quero a devolução do dinheiro.",
    "A cor não é a mesma do anúncio.",
    "Comprei 3 unidades e só recebi 2",
)
# Messages that test CSV quoting (newlines, CRLF, quotes, commas): each appears at any scale.
_TRICKY_MESSAGES = (
    "Comprei dois e só veio um.\nAguardo retorno da loja.",
    "Chegou no prazo.\r\nRecomendo!",
    'Produto "original"? Não parece, a caixa veio amassada.',
    'Bom, bonito e barato; entrega rápida, "nota 10".',
    'Péssimo,\r\nnão funciona e ninguém responde; "suporte" inexistente.',
)
_TITLES = _POSITIVE_TITLES + _NEGATIVE_TITLES
_MESSAGES = _POSITIVE_MESSAGES + _NEGATIVE_MESSAGES + _TRICKY_MESSAGES


def _plain(text: str) -> str:
    """The unaccented spelling ("são paulo" -> "sao paulo"), as most real rows have it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_CITY_NAMES = tuple(city.name for state in STATES for city in state.cities)
_PLAIN_CITY_NAMES = tuple(_plain(name) for name in _CITY_NAMES)
# The accents as combining marks after the letter (Unicode's decomposed form, NFD), as some
# real rows are written: 's', 'a', U+0303, 'o'.
_NFD_CITY_NAMES = tuple(unicodedata.normalize("NFD", name) for name in _CITY_NAMES)
_UFS = tuple(state.uf for state in STATES)
_CATEGORIES = tuple(pt for pt, _ in CATEGORY_TRANSLATION) + UNTRANSLATED_CATEGORIES
