"""Demo regions: Dongying's real counties, districts and development zones, with plausible
townships and a few communities each (urban 社区 in streets, rural 村 in towns)."""

CITY = ("370500", "东营市")

# county code, county name, [(township code suffix, township name, is_street)]
COUNTIES = [
    (
        "370502",
        "东营区",
        [
            ("001", "文汇街道", True),
            ("002", "黄河路街道", True),
            ("003", "东城街道", True),
            ("004", "辛店街道", True),
            ("100", "牛庄镇", False),
            ("101", "六户镇", False),
            ("102", "史口镇", False),
            ("103", "龙居镇", False),
        ],
    ),
    (
        "370503",
        "河口区",
        [
            ("001", "河口街道", True),
            ("002", "六合街道", True),
            ("100", "义和镇", False),
            ("101", "仙河镇", False),
            ("102", "孤岛镇", False),
            ("103", "新户镇", False),
        ],
    ),
    (
        "370505",
        "垦利区",
        [
            ("001", "垦利街道", True),
            ("002", "兴隆街道", True),
            ("100", "胜坨镇", False),
            ("101", "郝家镇", False),
            ("102", "永安镇", False),
            ("103", "黄河口镇", False),
            ("104", "董集镇", False),
        ],
    ),
    (
        "370522",
        "利津县",
        [
            ("001", "利津街道", True),
            ("002", "凤凰城街道", True),
            ("100", "北宋镇", False),
            ("101", "盐窝镇", False),
            ("102", "陈庄镇", False),
            ("103", "汀罗镇", False),
            ("200", "明集乡", False),
        ],
    ),
    (
        "370523",
        "广饶县",
        [
            ("001", "广饶街道", True),
            ("002", "乐安街道", True),
            ("100", "大王镇", False),
            ("101", "稻庄镇", False),
            ("102", "丁庄镇", False),
            ("103", "李鹊镇", False),
            ("104", "大码头镇", False),
            ("105", "花官镇", False),
            ("106", "陈官镇", False),
        ],
    ),
    (
        "370571",
        "东营经济技术开发区",
        [
            ("001", "胜园街道", True),
            ("002", "东营经济技术开发区东城片区", True),
        ],
    ),
    (
        "370572",
        "东营港经济开发区",
        [
            ("001", "港城街道", True),
        ],
    ),
]

URBAN_NAMES = ["府前社区", "金湖社区", "银河社区", "春晖社区", "锦华社区", "和平社区"]
RURAL_NAMES = ["王家村", "李家村", "刘家村", "张家村", "高家村", "孙家村"]


def communities_for(township_name: str, is_street: bool, count: int = 3):
    """(name, area_type) for a township's demo communities."""
    names = URBAN_NAMES if is_street else RURAL_NAMES
    start = sum(map(ord, township_name)) % len(names)
    area = "urban" if is_street else "rural"
    prefix = township_name[:2]
    return [(f"{prefix}{names[(start + i) % len(names)]}", area) for i in range(count)]


# (name suffix, categories) of demo organizations; the first of each community is filed,
# with its own party branch, and is usually its brand.
URBAN_ORGANIZATIONS = [
    ("夕阳红志愿服务队", ["volunteering", "elderly_companionship"]),
    ("邻里调解室", ["dispute_mediation"]),
    ("居民议事会", ["democratic_consultation", "social_mobilisation"]),
    ("合唱团", ["singing"]),
    ("广场舞队", ["dance", "fitness"]),
    ("书画协会", ["calligraphy_painting"]),
    ("摄影协会", ["photography"]),
    ("困难帮扶队", ["hardship_relief", "humanistic_care"]),
    ("心理疏导站", ["counselling", "relationship_mediation"]),
    ("长者助餐点", ["elderly_meals"]),
    ("健身俱乐部", ["fitness"]),
]
RURAL_ORGANIZATIONS = [
    ("乡贤理事会", ["village_worthies_council", "democratic_consultation"]),
    ("社会工作服务站", ["social_work_station", "hardship_relief"]),
    ("生产互助组", ["production_mutual_aid"]),
    ("特色农产品协会", ["specialty_produce", "production_cooperative"]),
    ("电商服务中心", ["ecommerce_service"]),
    ("秧歌队", ["dance"]),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "明",
    "丽",
    "伟",
    "芳",
    "军",
    "敏",
    "静",
    "磊",
    "洋",
]


def person(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
