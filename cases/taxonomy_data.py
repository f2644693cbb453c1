"""The initial vocabularies (DESIGN.md §2). Curators edit them afterwards in the admin."""

SECTORS = [
    ("보건·복지", "Health & welfare", "health-welfare"),
    ("산업·경제", "Industry & economy", "industry-economy"),
    ("도시·교통", "Urban & transport", "urban-transport"),
    ("문화·교육", "Culture & education", "culture-education"),
    ("관광", "Tourism", "tourism"),
    ("환경", "Environment", "environment"),
    ("농·축·수산", "Agriculture & fisheries", "agriculture-fisheries"),
    ("안전", "Safety", "safety"),
    ("행정", "Administration", "administration"),
]
TECHNOLOGIES = [
    ("AI", "AI", "ai"),
    ("IoT", "IoT", "iot"),
    ("빅데이터", "Big data", "big-data"),
    ("클라우드", "Cloud", "cloud"),
    ("RPA", "RPA", "rpa"),
    ("블록체인", "Blockchain", "blockchain"),
    ("디지털트윈", "Digital twin", "digital-twin"),
    ("모바일", "Mobile", "mobile"),
    ("드론", "Drones", "drones"),
    ("자율주행", "Autonomous driving", "autonomous-driving"),
    ("메타버스", "Metaverse", "metaverse"),
    ("오픈소스", "Open source", "open-source"),
    ("GIS", "GIS", "gis"),
]
STAGES = [
    ("아이디어", "Idea", "idea"),
    ("기획", "Planning", "planning"),
    ("실증", "Pilot", "pilot"),
    ("운영", "Operation", "operation"),
    ("확산", "Scale-up", "scale-up"),
    ("종료", "Closed", "closed"),
]
